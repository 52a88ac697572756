package dev.persona.routing;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * How instances prove to each other that a call, and its answer, come from the cluster: an HMAC-SHA256 under the
 * cluster secret. A call is signed over the time, a random nonce, the method, the path, the caller and the SHA-256 of
 * its body, which travels in {@link #BODY_HEADER}: the receiver checks the signature from the headers alone, before it
 * reads a byte of the body, so that a stranger's request never holds a thread while its body trickles in. The body is
 * then checked against its digest. A signature is good for {@link #MAX_SKEW} either side of the receiver's clock and
 * once only (the nonce is remembered for as long), so a call seen on the wire cannot be replayed. The answer is signed
 * over the call's signature and the answer's bytes ({@link #ANSWER_HEADER}), so that over plain HTTP nobody between
 * instances can put another answer in its place. The secret itself never travels, and neither does a client's token.
 */
public final class PeerAuth {
    /** The signature: {@code t=<epoch millis>,n=<hex nonce>,v1=<hex HMAC>}. */
    public static final String SIGNATURE_HEADER = "X-Persona-Signature";
    /** The hex SHA-256 of the call's body (of no bytes for a call without one). */
    public static final String BODY_HEADER = "X-Persona-Body-SHA256";
    /** The answer's signature: hex HMAC over the call's signature and the answer's bytes. */
    public static final String ANSWER_HEADER = "X-Persona-Answer-Signature";
    /** The id of the key the client called with. */
    public static final String CALLER_HEADER = "X-Persona-Caller";
    /** The collections that key may read, comma-separated, or {@code *}. */
    public static final String SCOPE_HEADER = "X-Persona-Scope";
    static final Duration MAX_SKEW = Duration.ofSeconds(30);
    /** Nonces remembered at most; at 1,000,000 a second's forwards would have to pass 16,000/s for one to be forgotten early. */
    private static final int MAX_NONCES = 1_000_000;

    private final Supplier<byte[]> secret;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final ThreadLocal<Keyed> macs = ThreadLocal.withInitial(Keyed::new);
    private final Cache<String, Boolean> seen = Caffeine.newBuilder().executor(Runnable::run)
            .expireAfterWrite(MAX_SKEW.multipliedBy(2)).maximumSize(MAX_NONCES).build();

    /** @param secret the cluster secret, read on every call (it may arrive after start, from Kafka) */
    public PeerAuth(final Supplier<byte[]> secret, final Clock clock) {
        this.secret = secret;
        this.clock = clock;
    }

    /** The hex SHA-256 of a body, for {@link #BODY_HEADER}; null stands for no body. */
    public static String digest(final byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body == null ? new byte[0] : body));
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The signature header's value for a call whose body has the digest {@code bodyDigest}. */
    public String sign(final String method, final String path, final Caller caller, final String bodyDigest) {
        final long now = clock.millis();
        final byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        final String n = HexFormat.of().formatHex(nonce);
        return "t=" + now + ",n=" + n + ",v1=" + HexFormat.of().formatHex(mac(head(now, n, method, path, caller, bodyDigest)));
    }

    /** The scope header's value for a caller. */
    public static String scope(final Caller caller) {
        return String.join(",", caller.collections());
    }

    /**
     * The caller a signed call is made for, from its headers alone. A signature is taken once: the same one again is
     * refused as a replay.
     *
     * @return empty when the signature is missing, malformed, too old, not the cluster's, or seen before
     */
    public Optional<Caller> verify(final String method, final String path, final String signature, final String keyId, final String scope,
                                   final String bodyDigest) {
        if (signature == null || keyId == null || scope == null || bodyDigest == null || !signature.startsWith("t=")) {
            return Optional.empty();
        }
        final int nonceAt = signature.indexOf(",n=");
        final int macAt = signature.indexOf(",v1=");
        if (nonceAt < 0 || macAt < nonceAt) {
            return Optional.empty();
        }
        final long time;
        final byte[] given;
        final String nonce = signature.substring(nonceAt + 3, macAt);
        try {
            time = Long.parseLong(signature.substring(2, nonceAt));
            given = HexFormat.of().parseHex(signature.substring(macAt + 4));
        } catch (final IllegalArgumentException e) {
            return Optional.empty();
        }
        if (nonce.length() != 32 || Math.abs(clock.millis() - time) > MAX_SKEW.toMillis()) {
            return Optional.empty();
        }
        final Caller caller = new Caller(keyId, scope.isEmpty() ? List.of() : Arrays.asList(scope.split(",")));
        if (!MessageDigest.isEqual(given, mac(head(time, nonce, method, path, caller, bodyDigest)))) {
            return Optional.empty();
        }
        // Only a valid signature reaches the nonce cache: strangers cannot fill it.
        return seen.asMap().putIfAbsent(nonce, Boolean.TRUE) == null ? Optional.of(caller) : Optional.empty();
    }

    /** Whether a body read after {@link #verify} is the one its digest header named. */
    public static boolean bodyMatches(final String bodyDigest, final byte[] body) {
        return bodyDigest != null && MessageDigest.isEqual(bodyDigest.getBytes(StandardCharsets.US_ASCII),
                digest(body).getBytes(StandardCharsets.US_ASCII));
    }

    /** The answer header's value for {@code answer} to the call signed {@code callSignature}. */
    public String signAnswer(final String callSignature, final byte[] answer) {
        return HexFormat.of().formatHex(mac("answer\n" + callSignature + "\n" + digest(answer)));
    }

    /** Whether {@code answerSignature} is the cluster's signature of {@code answer} to the call signed {@code callSignature}. */
    public boolean verifyAnswer(final String callSignature, final byte[] answer, final String answerSignature) {
        if (answerSignature == null) {
            return false;
        }
        try {
            return MessageDigest.isEqual(HexFormat.of().parseHex(answerSignature), mac("answer\n" + callSignature + "\n" + digest(answer)));
        } catch (final IllegalArgumentException e) {
            return false;
        }
    }

    private static String head(final long time, final String nonce, final String method, final String path, final Caller caller,
                               final String bodyDigest) {
        return time + "\n" + nonce + "\n" + method + "\n" + path + "\n" + caller.keyId() + "\n" + scope(caller) + "\n" + bodyDigest;
    }

    private byte[] mac(final String text) {
        try {
            final byte[] key = secret.get();
            final Keyed keyed = macs.get();
            if (keyed.key != key) {
                // The secret changed (or this thread's first call): a Mac costs a provider lookup, so each thread keeps one.
                keyed.mac.init(new SecretKeySpec(key, "HmacSHA256"));
                keyed.key = key;
            }
            return keyed.mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    /** A thread's Mac and the secret it was last keyed with. */
    private static final class Keyed {
        private final Mac mac;
        private byte[] key;

        Keyed() {
            try {
                this.mac = Mac.getInstance("HmacSHA256");
            } catch (final GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
            }
        }
    }
}
