package dev.persona.cluster;

import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the versions topic holds, and the application ids versions get. */
class TopologyVersionTest {
    private static final TopologyVersion BUILDING = new TopologyVersion("0123456789abcdef", "persona-01234567", TopologyVersion.State.BUILDING,
            Optional.of("persona"), Set.of("records-people", "purged-people"), Set.of("people-index-changes-repartition"));

    @Test
    void shouldReadBackWhatItWrites() {
        assertEquals(Optional.of(BUILDING), TopologyVersion.parse(BUILDING.fingerprint(), BUILDING.toBytes()));
        assertEquals(Optional.of(BUILDING.completed()), TopologyVersion.parse(BUILDING.fingerprint(), BUILDING.completed().toBytes()));
        assertTrue(TopologyVersion.parse("x", "{not json".getBytes()).isEmpty(), "an unreadable entry is no version");
        assertTrue(TopologyVersion.parse("x", null).isEmpty(), "a tombstone is no version");
    }

    @Test
    void shouldNameEveryTopicOfItsOwn() {
        assertEquals(Set.of("persona-01234567-records-people-changelog", "persona-01234567-purged-people-changelog",
                "persona-01234567-people-index-changes-repartition"), BUILDING.internalTopics());
    }

    @Test
    void shouldNeverGiveARetiredVersionsIdAgain() {
        assertEquals("persona-01234567", TopologyVersions.idOf("persona", "0123456789abcdef", null));
        final TopologyVersion retired = BUILDING.retiredNow();
        final String second = TopologyVersions.idOf("persona", "0123456789abcdef", retired);
        assertEquals("persona-01234567-g2", second);
        final TopologyVersion again = new TopologyVersion(BUILDING.fingerprint(), second, TopologyVersion.State.RETIRED, Optional.empty(), Set.of(), Set.of());
        assertEquals("persona-01234567-g3", TopologyVersions.idOf("persona", "0123456789abcdef", again));
    }
}
