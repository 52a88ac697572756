package dev.persona.routing;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * How instances prove to each other that a call comes from the cluster: an HMAC-SHA256, under the cluster secret,
 * of the time, the method, the path, the caller and a hash of the body. The secret itself never travels, so a
 * forwarded lookup carries neither it nor the client's bearer token; a signature is good for
 * {@link #MAX_SKEW} either side of the receiver's clock, and only for the very request it was made for.
 */
public final class PeerAuth {
    /** The signature: {@code t=<epoch millis>,v1=<hex HMAC>}. */
    public static final String SIGNATURE_HEADER = "X-Persona-Signature";
    /** The id of the key the client called with. */
    public static final String CALLER_HEADER = "X-Persona-Caller";
    /** The collections that key may read, comma-separated, or {@code *}. */
    public static final String SCOPE_HEADER = "X-Persona-Scope";
    static final Duration MAX_SKEW = Duration.ofSeconds(30);

    private final Supplier<byte[]> secret;
    private final Clock clock;

    /** @param secret the cluster secret, read on every call (it may arrive after start, from Kafka) */
    public PeerAuth(final Supplier<byte[]> secret, final Clock clock) {
        this.secret = secret;
        this.clock = clock;
    }

    /** The signature header's value for a request. */
    public String sign(final String method, final String path, final Caller caller, final byte[] body) {
        final long now = clock.millis();
        return "t=" + now + ",v1=" + HexFormat.of().formatHex(mac(now, method, path, caller, body));
    }

    /** The scope header's value for a caller. */
    public static String scope(final Caller caller) {
        return String.join(",", caller.collections());
    }

    /**
     * The caller a signed request is made for.
     *
     * @return empty when the signature is missing, malformed, too old or not the cluster's
     */
    public Optional<Caller> verify(final String method, final String path, final String signature, final String keyId, final String scope,
                                   final byte[] body) {
        if (signature == null || keyId == null || scope == null || !signature.startsWith("t=")) {
            return Optional.empty();
        }
        final int comma = signature.indexOf(",v1=");
        if (comma < 0) {
            return Optional.empty();
        }
        final long time;
        final byte[] given;
        try {
            time = Long.parseLong(signature.substring(2, comma));
            given = HexFormat.of().parseHex(signature.substring(comma + 4));
        } catch (final IllegalArgumentException e) {
            return Optional.empty();
        }
        if (Math.abs(clock.millis() - time) > MAX_SKEW.toMillis()) {
            return Optional.empty();
        }
        final Caller caller = new Caller(keyId, scope.isEmpty() ? List.of() : Arrays.asList(scope.split(",")));
        return MessageDigest.isEqual(given, mac(time, method, path, caller, body)) ? Optional.of(caller) : Optional.empty();
    }

    private byte[] mac(final long time, final String method, final String path, final Caller caller, final byte[] body) {
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.get(), "HmacSHA256"));
            final String head = time + "\n" + method + "\n" + path + "\n" + caller.keyId() + "\n" + scope(caller) + "\n";
            mac.update(head.getBytes(StandardCharsets.UTF_8));
            mac.update(MessageDigest.getInstance("SHA-256").digest(body == null ? new byte[0] : body));
            return mac.doFinal();
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }
}
