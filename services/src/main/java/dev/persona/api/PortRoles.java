package dev.persona.api;

import java.util.Optional;

/**
 * Which port serves what, when {@code http.managementPort} is set (the Prometheus and Kubernetes convention): the
 * API port serves lookups and the calls between instances; the management port serves {@code /metrics},
 * {@code /healthz}, {@code /readyz}, {@code /admin/*} and {@code /console}, so that only the lookup port need face apps and partners.
 * Without a management port, the API port serves everything.
 *
 * @param managementPort the management port, if any
 */
record PortRoles(Optional<Integer> managementPort) {

    /** Whether a path belongs on the management port. */
    static boolean isManagement(final String path) {
        return path.equals("/metrics") || path.equals("/healthz") || path.equals("/readyz") || path.startsWith("/admin/") || path.equals("/admin")
                || path.equals(ConsoleRoutes.PATH) || path.startsWith(ConsoleRoutes.PATH + "/");
    }

    /**
     * Whether a request to {@code path} that arrived on {@code localPort} is served there.
     */
    boolean serves(final int localPort, final String path) {
        return managementPort.isEmpty() || (localPort == managementPort.get()) == isManagement(path);
    }

    /** Why a request is not served on this port, and where it is. */
    String elsewhere(final String path) {
        return isManagement(path)
                ? path + " is served on the management port (http.managementPort), not on the API port"
                : path + " is served on the API port, not on the management port";
    }
}
