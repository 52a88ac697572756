package dev.persona.routing;

import org.apache.kafka.streams.state.HostInfo;

import java.util.Set;

/** Where the active copy of a key lives. */
public sealed interface KeyLocation {

    /** On this instance; {@code standbys} hold warm copies. */
    record Local(int partition, Set<HostInfo> standbys) implements KeyLocation {
    }

    /** On another instance; {@code standbys} hold warm copies. */
    record Remote(int partition, HostInfo host, Set<HostInfo> standbys) implements KeyLocation {
    }

    /** Nobody known right now (starting, rebalancing). */
    record Unknown(String reason) implements KeyLocation {
    }
}
