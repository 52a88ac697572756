package dev.persona.api;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.persona.config.RateLimit;
import dev.persona.keys.ApiKey;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Per-key rate limits: a token bucket per key and instance (Bucket4j's lock-free bucket), holding as many tokens as
 * the limit allows per period and refilled greedily, so a burst up to the limit passes and a sustained rate above it
 * does not. A key's own limit wins over the configured default; a key with neither is not counted. Admitted and
 * refused requests are counted per key id in {@code persona_rate_limit_requests_total}.
 */
final class RateLimits {
    private final Optional<RateLimit> fallback;
    private final MeterRegistry metrics;
    /** Buckets of keys seen lately; a key idle for an hour starts with a full bucket again, as it would have anyway. */
    private final Cache<String, KeyBucket> buckets = Caffeine.newBuilder().executor(Runnable::run).expireAfterAccess(Duration.ofHours(1)).maximumSize(100_000).build();

    RateLimits(final Optional<RateLimit> fallback, final MeterRegistry metrics) {
        this.fallback = fallback;
        this.metrics = metrics;
    }

    /** Takes one request from the key's bucket. */
    Admission admit(final ApiKey key) {
        return admit(key, 1);
    }

    /**
     * Takes {@code tokens} from the key's bucket at once, or none: a batch of N ids reads N records and costs N. A
     * batch larger than the key's whole allowance per period is never admitted; the refusal says to split it.
     */
    Admission admit(final ApiKey key, final long tokens) {
        final RateLimit limit = key.rate() != null ? key.rate() : fallback.orElse(null);
        if (limit == null) {
            return Admission.UNLIMITED;
        }
        KeyBucket bucket = buckets.getIfPresent(key.id());
        if (bucket == null || !bucket.limit().equals(limit)) {
            bucket = buckets.get(key.id(), id -> newBucket(id, limit));
        }
        if (tokens > limit.permits()) {
            bucket.refused().increment();
            return new Admission(false, limit, bucket.bucket().getAvailableTokens(), seconds(limit.period().toNanos()),
                    Math.max(1, seconds(limit.period().toNanos())));
        }
        final ConsumptionProbe probe = bucket.bucket().tryConsumeAndReturnRemaining(tokens);
        final long nanosPerToken = limit.period().toNanos() / limit.permits();
        final long fullIn = (limit.permits() - probe.getRemainingTokens()) * nanosPerToken;
        if (probe.isConsumed()) {
            bucket.admitted().increment();
            return new Admission(true, limit, probe.getRemainingTokens(), seconds(fullIn), 0);
        }
        bucket.refused().increment();
        return new Admission(false, limit, 0, seconds(fullIn), Math.max(1, seconds(probe.getNanosToWaitForRefill())));
    }

    private KeyBucket newBucket(final String id, final RateLimit limit) {
        final Bucket bucket = Bucket.builder()
                .addLimit(l -> l.capacity(limit.permits()).refillGreedy(limit.permits(), limit.period()))
                .build();
        return new KeyBucket(limit, bucket,
                Counter.builder("persona_rate_limit_requests").tag("key", id).tag("outcome", "admitted")
                        .description("requests of a rate-limited key, admitted or refused with 429").register(metrics),
                Counter.builder("persona_rate_limit_requests").tag("key", id).tag("outcome", "refused")
                        .description("requests of a rate-limited key, admitted or refused with 429").register(metrics));
    }

    private static long seconds(final long nanos) {
        return (nanos + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1);
    }

    private record KeyBucket(RateLimit limit, Bucket bucket, Counter admitted, Counter refused) {
    }

    /**
     * What the bucket said of one request, and the {@code RateLimit-*} headers (IETF draft
     * {@code draft-ietf-httpapi-ratelimit-headers}) that tell the client.
     *
     * @param admitted          whether it may go on
     * @param limit             the limit applied; null when the key is not limited
     * @param remaining         requests left in the bucket now
     * @param resetSeconds      seconds until the bucket is full again
     * @param retryAfterSeconds for a refused request, when one token will be there
     */
    record Admission(boolean admitted, RateLimit limit, long remaining, long resetSeconds, long retryAfterSeconds) {
        static final Admission UNLIMITED = new Admission(true, null, 0, 0, 0);

        /** Whether a limit applies, and so whether there are headers to send. */
        boolean limited() {
            return limit != null;
        }

        /** The {@code RateLimit-*} headers, name then value, for both the fast path and the routes. */
        List<String> headers() {
            return List.of("RateLimit-Policy", limit.permits() + ";w=" + limit.period().toSeconds(),
                    "RateLimit-Limit", Long.toString(limit.permits()),
                    "RateLimit-Remaining", Long.toString(remaining),
                    "RateLimit-Reset", Long.toString(resetSeconds));
        }
    }
}
