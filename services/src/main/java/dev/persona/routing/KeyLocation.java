package dev.persona.routing;

import org.apache.kafka.streams.state.HostInfo;

/** Where the active copy of a key lives. */
public sealed interface KeyLocation {

    /** On this instance. */
    record Local(int partition) implements KeyLocation {
    }

    /** On another instance. */
    record Remote(int partition, HostInfo host) implements KeyLocation {
    }

    /** Nobody known right now (starting, rebalancing). */
    record Unknown(String reason) implements KeyLocation {
    }
}
