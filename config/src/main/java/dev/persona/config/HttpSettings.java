package dev.persona.config;

import java.util.Optional;

/**
 * How the API is served and guarded.
 *
 * @param rateLimit         the rate limit of a key that has none of its own; empty: unlimited
 * @param tls               HTTPS for the API and calls between instances; empty: plain HTTP
 * @param managementPort    a second port for {@code /metrics}, {@code /healthz}, {@code /readyz} and {@code /admin/*},
 *                          which the API port then no longer serves; empty: everything on the API port
 * @param metricsKey        whether {@code /metrics} needs an admin key, as the file says; see {@link #metricsRequireKey()}
 * @param clusterSecret     what instances sign their calls to each other with; empty: a secret Persona generates and
 *                          keeps in its API-key topic
 * @param maxConnectionsPerAddress connections one client address may hold open; 0 for no limit
 * @param maxKeyStaleness   how long an instance that cannot confirm it holds every key change (cut off from Kafka)
 *                          keeps accepting keys; past it, it refuses every key (503) and says it is not ready
 * @param moveWait          how long a client's lookup whose partition is moving between instances waits for the move
 *                          before it answers 503; zero answers 503 at once
 */
public record HttpSettings(Optional<RateLimit> rateLimit, Optional<TlsSettings> tls, Optional<Integer> managementPort,
                           Optional<Boolean> metricsKey, Optional<String> clusterSecret, int maxConnectionsPerAddress,
                           java.time.Duration maxKeyStaleness, java.time.Duration moveWait) {
    /** Connections one client address may hold open unless {@code http.maxConnectionsPerAddress} says otherwise. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 512;
    /** Longer than the broker outages the fault suite rides out (160 s) with lookups answered throughout. */
    public static final java.time.Duration DEFAULT_MAX_KEY_STALENESS = java.time.Duration.ofMinutes(5);
    /** Longer than the partition moves of a rolling restart (tenths of a second), short of most clients' timeouts. */
    public static final java.time.Duration DEFAULT_MOVE_WAIT = java.time.Duration.ofSeconds(1);

    /** The settings of a file without an {@code http} section. */
    public static HttpSettings defaults() {
        return new HttpSettings(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
                DEFAULT_MAX_KEY_STALENESS, DEFAULT_MOVE_WAIT);
    }

    public HttpSettings withTls(final TlsSettings settings) {
        return new HttpSettings(rateLimit, Optional.of(settings), managementPort, metricsKey, clusterSecret, maxConnectionsPerAddress, maxKeyStaleness, moveWait);
    }

    public HttpSettings withRateLimit(final RateLimit limit) {
        return new HttpSettings(Optional.of(limit), tls, managementPort, metricsKey, clusterSecret, maxConnectionsPerAddress, maxKeyStaleness, moveWait);
    }

    public HttpSettings withManagementPort(final int port) {
        return new HttpSettings(rateLimit, tls, Optional.of(port), metricsKey, clusterSecret, maxConnectionsPerAddress, maxKeyStaleness, moveWait);
    }

    /**
     * Whether {@code /metrics} needs an admin key: as the file says, else on the API port yes (its figures name every
     * collection, store and topic), and on a management port, which need not leave the cluster's network, no.
     */
    public boolean metricsRequireKey() {
        return metricsKey.orElse(managementPort.isEmpty());
    }

    public HttpSettings withMaxKeyStaleness(final java.time.Duration max) {
        return new HttpSettings(rateLimit, tls, managementPort, metricsKey, clusterSecret, maxConnectionsPerAddress, max, moveWait);
    }

    public HttpSettings withMaxConnectionsPerAddress(final int max) {
        return new HttpSettings(rateLimit, tls, managementPort, metricsKey, clusterSecret, max, maxKeyStaleness, moveWait);
    }

    public HttpSettings withMoveWait(final java.time.Duration wait) {
        return new HttpSettings(rateLimit, tls, managementPort, metricsKey, clusterSecret, maxConnectionsPerAddress, maxKeyStaleness, wait);
    }

    public HttpSettings withMetricsRequireKey(final boolean required) {
        return new HttpSettings(rateLimit, tls, managementPort, Optional.of(required), clusterSecret, maxConnectionsPerAddress, maxKeyStaleness, moveWait);
    }
}
