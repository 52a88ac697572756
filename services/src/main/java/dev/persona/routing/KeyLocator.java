package dev.persona.routing;

import org.apache.kafka.streams.state.HostInfo;

import java.util.List;

/**
 * Which instance holds the active copy of a key, and its standbys, and who the cluster's instances are: what the read
 * path, the partition map and the probes ask before they read anywhere. {@link StreamsKeyLocator} answers from Kafka
 * Streams' metadata.
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

    /** Every instance of the cluster with its partitions, as this instance knows them now; empty while it knows none. */
    List<Member> members();

    /** Whether this instance runs its share of the topology now (Kafka Streams' RUNNING: not starting, not rebalancing). */
    boolean running();

    /** This instance's state, in Kafka Streams' words ({@code RUNNING}, {@code REBALANCING}, ...), for the probes. */
    String state();
}
