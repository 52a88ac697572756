package dev.persona.routing;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PeerWireTest {

    @Test
    void aCallCarriesItsHopToThePeer() {
        final List<String> keys = List.of("a", "b/\u0000c", "ü");
        for (final Hop hop : List.of(Hop.FORWARDED, Hop.FORWARDED_TO_STANDBY)) {
            final PeerWire.Ask ask = PeerWire.readAsk(PeerWire.ask(keys, hop), 10);
            assertEquals(keys, ask.keys());
            assertSame(hop, ask.hop());
        }
    }

    @Test
    void aClientsOwnRequestIsNeverPutOnTheWire() {
        assertThrows(IllegalArgumentException.class, () -> PeerWire.ask(List.of("a"), Hop.FIRST));
        assertThrows(IllegalArgumentException.class, () -> PeerWire.ask(List.of("a"), Hop.FIRST_OWNER_FAILED));
    }

    @Test
    void anAnswerSaysOfEachKeyFoundAbsentOrUnavailable() {
        final List<String> keys = List.of("found", "stale", "absent", "unavailable", "not-here");
        final byte[] answer = PeerWire.answer(keys, Map.of(
                "found", new StoredValue.Found(new byte[]{1, 2}),
                "stale", new StoredValue.Found(new byte[]{3}, true, 7),
                "absent", StoredValue.ABSENT,
                "unavailable", new StoredValue.Unavailable(UnavailableReason.REBALANCING, "moving"),
                "not-here", StoredValue.NOT_HERE));
        final Map<String, StoredValue> read = PeerWire.readAnswer(answer, keys, "peer");
        assertArrayEquals(new byte[]{1, 2}, assertInstanceOf(StoredValue.Found.class, read.get("found")).stored());
        assertEquals(7, assertInstanceOf(StoredValue.Found.class, read.get("stale")).lag());
        assertSame(StoredValue.ABSENT, read.get("absent"));
        assertInstanceOf(StoredValue.Unavailable.class, read.get("unavailable"));
        assertInstanceOf(StoredValue.Unavailable.class, read.get("not-here"), "a peer that cannot say is no answer, never a 404");
    }

    @Test
    void aTruncatedCallIsRefusedWithItsReason() {
        final byte[] call = PeerWire.ask(List.of("abc"), Hop.FORWARDED);
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PeerWire.readAsk(java.util.Arrays.copyOf(call, call.length - 1), 10));
        assertEquals("key 0 claims 3 bytes; 2 remain", e.getMessage());
    }
}
