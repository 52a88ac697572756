package dev.persona.routing;

import org.apache.kafka.streams.state.HostInfo;

/**
 * Which instance holds the active copy of a key, and its standbys: what the read path asks before it reads anywhere
 * but here. {@link StreamsKeyLocator} answers from Kafka Streams' metadata.
 */
public interface KeyLocator {

    /** {@code host:port}, as headers and the partition map name an instance. */
    static String address(final HostInfo host) {
        return host.host() + ":" + host.port();
    }

    /** This instance's advertised address. */
    HostInfo self();

    /** Where the active copy of {@code key} in {@code store} lives. */
    KeyLocation locate(String store, String key);
}
