package dev.persona.routing;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Signatures between instances: checked from headers alone, taken once, and answers bound to their call. */
class PeerAuthTest {
    private static final byte[] SECRET = "a cluster secret of some length".getBytes(StandardCharsets.UTF_8);
    private static final Caller CALLER = new Caller("k1", List.of("customers"));
    private static final String PATH = "/internal/v2/stores/records-customers/batch";

    private final PeerAuth auth = new PeerAuth(() -> SECRET, Clock.systemUTC());

    @Test
    void shouldTakeASignatureOnceSoThatACallSeenOnTheWireCannotBeReplayed() {
        final String digest = PeerAuth.digest("{\"ids\":[\"1\"]}".getBytes(StandardCharsets.UTF_8));
        final String signature = auth.sign("POST", PATH, CALLER, digest);
        assertEquals(Optional.of(CALLER), auth.verify("POST", PATH, signature, "k1", "customers", digest));
        assertEquals(Optional.empty(), auth.verify("POST", PATH, signature, "k1", "customers", digest), "the same signature again");
        assertNotEquals(signature, auth.sign("POST", PATH, CALLER, digest), "every call has a nonce of its own");
    }

    @Test
    void shouldRefuseASignatureForAnotherBodyPathScopeSecretOrTime() {
        final String digest = PeerAuth.digest("{\"ids\":[\"1\"]}".getBytes(StandardCharsets.UTF_8));
        final String other = PeerAuth.digest("{\"ids\":[\"2\"]}".getBytes(StandardCharsets.UTF_8));
        assertTrue(auth.verify("POST", PATH, auth.sign("POST", PATH, CALLER, digest), "k1", "customers", other).isEmpty());
        assertTrue(auth.verify("POST", "/internal/v1/status", auth.sign("POST", PATH, CALLER, digest), "k1", "customers", digest).isEmpty());
        assertTrue(auth.verify("POST", PATH, auth.sign("POST", PATH, CALLER, digest), "k1", "*", digest).isEmpty());
        final PeerAuth stranger = new PeerAuth(() -> "another secret entirely".getBytes(StandardCharsets.UTF_8), Clock.systemUTC());
        assertTrue(auth.verify("POST", PATH, stranger.sign("POST", PATH, CALLER, digest), "k1", "customers", digest).isEmpty());
        final PeerAuth late = new PeerAuth(() -> SECRET, Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-2)));
        assertTrue(auth.verify("POST", PATH, late.sign("POST", PATH, CALLER, digest), "k1", "customers", digest).isEmpty());
        assertTrue(auth.verify("POST", PATH, "t=1,v1=00", "k1", "customers", digest).isEmpty(), "the earlier format, without a nonce");
        assertTrue(auth.verify("POST", PATH, null, "k1", "customers", digest).isEmpty());
    }

    @Test
    void shouldCheckTheBodyAgainstItsDigestAfterReadingIt() {
        final byte[] body = "{\"ids\":[\"1\"]}".getBytes(StandardCharsets.UTF_8);
        assertTrue(PeerAuth.bodyMatches(PeerAuth.digest(body), body));
        assertFalse(PeerAuth.bodyMatches(PeerAuth.digest(body), "{\"ids\":[\"2\"]}".getBytes(StandardCharsets.UTF_8)));
        assertFalse(PeerAuth.bodyMatches(null, body));
    }

    @Test
    void shouldTakeOnlyTheAnswerThePeerSignedForThisCall() {
        final String call = auth.sign("POST", PATH, CALLER, PeerAuth.digest(null));
        final byte[] answer = "{\"found\":{\"1\":\"AAE=\"}}".getBytes(StandardCharsets.UTF_8);
        final String signed = auth.signAnswer(call, answer);
        assertTrue(auth.verifyAnswer(call, answer, signed));
        assertFalse(auth.verifyAnswer(call, "{\"found\":{}}".getBytes(StandardCharsets.UTF_8), signed), "another answer in its place");
        assertFalse(auth.verifyAnswer(auth.sign("POST", PATH, CALLER, PeerAuth.digest(null)), answer, signed), "an answer to another call");
        assertFalse(auth.verifyAnswer(call, answer, null), "no signature");
        assertFalse(auth.verifyAnswer(call, answer, "zz"), "not hex");
    }
}
