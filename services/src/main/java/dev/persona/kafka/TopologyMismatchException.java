package dev.persona.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Running instances of the cluster run another topology than this configuration makes: Kafka Streams cannot run both
 * in one application, so this instance does not start. The message names the peers, the stores that differ and the
 * fix.
 */
public final class TopologyMismatchException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * @param peers     the live instances whose topology differs
     * @param config    this instance's configuration file
     * @param onlyHere  stores this topology has and theirs lacks
     * @param onlyThere stores theirs has and this one lacks
     * @param live      how long after its last renewal an instance counts as running
     */
    public TopologyMismatchException(final List<String> peers, final String config, final Set<String> onlyHere, final Set<String> onlyThere,
                                     final Duration live) {
        super("the running instance(s) " + String.join(", ", peers) + " of this cluster run another topology than " + config
                + " makes (" + difference(onlyHere, onlyThere) + "). One Kafka Streams application runs one topology: "
                + "adding or removing a collection, a sync, a nested array or a collection's first secondary index cannot roll out one instance at a "
                + "time (changes that keep the topology, such as mappings, models and schedules, can). Fix: stop every "
                + "instance, then start them all with the new file (an instance killed without stopping counts as running for "
                + live.toSeconds() + " s after it was last seen)");
    }

    private static String difference(final Set<String> onlyHere, final Set<String> onlyThere) {
        if (onlyHere.isEmpty() && onlyThere.isEmpty()) {
            return "the same stores, processed differently";
        }
        return (onlyHere.isEmpty() ? "" : "stores only here: " + String.join(", ", onlyHere))
                + (!onlyHere.isEmpty() && !onlyThere.isEmpty() ? "; " : "")
                + (onlyThere.isEmpty() ? "" : "stores only there: " + String.join(", ", onlyThere));
    }
}
