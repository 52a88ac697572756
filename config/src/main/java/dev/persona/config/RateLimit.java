package dev.persona.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A request rate, written as {@code 200/s}, {@code 5000/m} or {@code 100000/h}: so many requests per second,
 * minute or hour. A key's limit is a token bucket per instance holding {@link #permits()} tokens, refilled at that
 * rate, so a burst up to the limit passes and a sustained rate above it does not.
 *
 * @param permits requests allowed per period, at least 1
 * @param period  the period: one second, minute or hour
 */
public record RateLimit(long permits, Duration period) {
    private static final Pattern SPEC = Pattern.compile("\\s*(\\d{1,12})\\s*/\\s*(s|sec|second|m|min|minute|h|hour)\\s*");

    public RateLimit {
        if (permits < 1) {
            throw new IllegalArgumentException("a rate limit allows at least 1 request, not " + permits);
        }
    }

    /**
     * A rate as written in a config file, a request or on the command line.
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    @JsonCreator
    public static RateLimit parse(final String spec) {
        final Matcher m = spec == null ? null : SPEC.matcher(spec.toLowerCase(Locale.ROOT));
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("'" + spec + "' is not a rate: write requests per period, as 200/s, 5000/m or 100000/h");
        }
        final Duration period = switch (m.group(2).charAt(0)) {
            case 's' -> Duration.ofSeconds(1);
            case 'm' -> Duration.ofMinutes(1);
            default -> Duration.ofHours(1);
        };
        return new RateLimit(Long.parseLong(m.group(1)), period);
    }

    /** Requests per second, the refill rate of the bucket. */
    public double perSecond() {
        return permits * 1e9 / period.toNanos();
    }

    @JsonValue
    @Override
    public String toString() {
        final String unit = period.equals(Duration.ofSeconds(1)) ? "s" : period.equals(Duration.ofMinutes(1)) ? "m" : "h";
        return permits + "/" + unit;
    }
}
