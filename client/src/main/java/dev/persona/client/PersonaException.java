package dev.persona.client;

/**
 * The cluster refused a lookup, or could not answer it within the client's retries.
 *
 * @see PersonaClient
 */
public final class PersonaException extends RuntimeException {
    private final int status;
    private final String code;
    private final Long retryAfterMillis;

    PersonaException(final int status, final String code, final String message, final Long retryAfterMillis) {
        super(message);
        this.status = status;
        this.code = code;
        this.retryAfterMillis = retryAfterMillis;
    }

    /** The HTTP status of the last answer; 0 when no instance answered at all. */
    public int status() {
        return status;
    }

    /** The API's error code ({@code unauthorized}, {@code unavailable}, {@code rate_limited}, ...), or {@code unreachable}. */
    public String code() {
        return code;
    }

    /** What the last answer's {@code Retry-After} asked for, in milliseconds; null when it had none. */
    public Long retryAfterMillis() {
        return retryAfterMillis;
    }
}
