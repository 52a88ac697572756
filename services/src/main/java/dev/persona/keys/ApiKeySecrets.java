package dev.persona.keys;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** Makes secrets and ids, and hashes secrets. */
public final class ApiKeySecrets {
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeySecrets() {
    }

    /** A new secret: {@code prs_} and 32 random bytes, URL-safe. */
    public static String newSecret() {
        final byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "prs_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** A new non-secret id: 12 hex digits. */
    public static String newId() {
        final byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** The hex SHA-256 of a secret. */
    public static String sha256(final String secret) {
        return HexFormat.of().formatHex(digest(secret));
    }

    /** Compares a presented secret with a stored hash in constant time. */
    public static boolean matches(final String secret, final String sha256) {
        return MessageDigest.isEqual(digest(secret), HexFormat.of().parseHex(sha256));
    }

    private static byte[] digest(final String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
