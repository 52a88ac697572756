package dev.persona.runtime;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How one instance runs, beyond the configuration file.
 *
 * @param bindHost       the HTTP listen address
 * @param port           the HTTP port; 0 picks a free one
 * @param advertisedHost the host other instances reach this one at
 * @param stateDir       where this instance keeps its RocksDB stores
 * @param home           {@code PERSONA_HOME}: the embedded broker's data lives under it
 * @param adminKey       an admin key accepted in memory ({@code PERSONA_ADMIN_KEY}), if any
 * @param drain          on a clean stop, how long readiness is false while the instance still answers
 */
public record InstanceOptions(String bindHost, int port, String advertisedHost, Path stateDir, Path home, Optional<String> adminKey,
                              Duration drain) {

    /** Options for a test or a local run: loopback only, a free port. */
    public static InstanceOptions local(final Path stateDir, final Path home) {
        return new InstanceOptions("127.0.0.1", 0, "127.0.0.1", stateDir, home, Optional.empty(), Duration.ZERO);
    }

    public InstanceOptions withPort(final int newPort) {
        return new InstanceOptions(bindHost, newPort, advertisedHost, stateDir, home, adminKey, drain);
    }

    public InstanceOptions withAdminKey(final String key) {
        return new InstanceOptions(bindHost, port, advertisedHost, stateDir, home, Optional.of(key), drain);
    }

    public InstanceOptions withStateDir(final Path dir) {
        return new InstanceOptions(bindHost, port, advertisedHost, dir, home, adminKey, drain);
    }

    public InstanceOptions withDrain(final Duration period) {
        return new InstanceOptions(bindHost, port, advertisedHost, stateDir, home, adminKey, period);
    }
}
