package dev.persona.config;

import java.util.Optional;

/**
 * How the API is served and guarded.
 *
 * @param rateLimit         the rate limit of a key that has none of its own; empty: unlimited
 * @param tls               HTTPS for the API and calls between instances; empty: plain HTTP
 * @param managementPort    a second port for {@code /metrics}, {@code /healthz}, {@code /readyz} and {@code /admin/*},
 *                          which the API port then no longer serves; empty: everything on the API port
 * @param metricsRequireKey whether {@code /metrics} needs an admin key
 * @param clusterSecret     what instances sign their calls to each other with; empty: a secret Persona generates and
 *                          keeps in its API-key topic
 */
public record HttpSettings(Optional<RateLimit> rateLimit, Optional<TlsSettings> tls, Optional<Integer> managementPort,
                           boolean metricsRequireKey, Optional<String> clusterSecret) {

    /** The settings of a file without an {@code http} section. */
    public static HttpSettings defaults() {
        return new HttpSettings(Optional.empty(), Optional.empty(), Optional.empty(), false, Optional.empty());
    }

    public HttpSettings withTls(final TlsSettings settings) {
        return new HttpSettings(rateLimit, Optional.of(settings), managementPort, metricsRequireKey, clusterSecret);
    }

    public HttpSettings withRateLimit(final RateLimit limit) {
        return new HttpSettings(Optional.of(limit), tls, managementPort, metricsRequireKey, clusterSecret);
    }

    public HttpSettings withManagementPort(final int port) {
        return new HttpSettings(rateLimit, tls, Optional.of(port), metricsRequireKey, clusterSecret);
    }

    public HttpSettings withMetricsRequireKey(final boolean required) {
        return new HttpSettings(rateLimit, tls, managementPort, required, clusterSecret);
    }
}
