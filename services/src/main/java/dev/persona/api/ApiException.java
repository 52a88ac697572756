package dev.persona.api;

/**
 * A request that cannot be answered as asked; mapped to HTTP in one place ({@link ApiServer}) as
 * {@code {"error": code, "message": message}}.
 */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final Integer retryAfterSeconds;

    private ApiException(final int status, final String code, final String message, final Integer retryAfterSeconds) {
        super(message);
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static ApiException badRequest(final String code, final String message) {
        return new ApiException(400, code, message, null);
    }

    public static ApiException unauthorized(final String message) {
        return new ApiException(401, "unauthorized", message, null);
    }

    public static ApiException forbidden(final String message) {
        return new ApiException(403, "forbidden", message, null);
    }

    public static ApiException notFound(final String code, final String message) {
        return new ApiException(404, code, message, null);
    }

    /** 429 with {@code Retry-After}: the key's rate limit is spent for now. */
    public static ApiException tooManyRequests(final String message, final long retryAfterSeconds) {
        return new ApiException(429, "rate_limited", message, (int) Math.min(Integer.MAX_VALUE, retryAfterSeconds));
    }

    /** 503 with {@code Retry-After}: the answer exists but cannot be given right now. */
    public static ApiException unavailable(final String message) {
        return new ApiException(503, "unavailable", message, 1);
    }

    public static ApiException unavailable(final String code, final String message) {
        return new ApiException(503, code, message, 5);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** Seconds for {@code Retry-After}, or null. */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
