package dev.persona.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.topology.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * One version of the topology: what a configuration (and a Persona build) makes of the merge, identified by the
 * topology's fingerprint, and run as a Kafka Streams application of its own so that a new version can be built
 * beside the running one.
 *
 * @param fingerprint   the topology's fingerprint ({@link InstanceRegistry#fingerprint})
 * @param applicationId the Kafka Streams application id it runs under: its consumer group and the prefix of its
 *                      changelogs and repartition topics
 * @param state         building (not yet caught up: its instances are not ready) or complete
 * @param seedFrom      the application id of the version its stores were copied from when it was made
 * @param stores        its stores, whose changelogs are {@code <applicationId>-<store>-changelog}
 * @param repartitions  its repartition topics, without the application id ({@code <applicationId>-<name>})
 */
public record TopologyVersion(String fingerprint, String applicationId, State state, Optional<String> seedFrom, Set<String> stores,
                              Set<String> repartitions) {

    /** Where a version stands. */
    public enum State {
        /** Made and catching up: its stores do not hold everything yet, its instances do not answer lookups. */
        BUILDING,
        /** Caught up once with every row that existed when it started: its instances answer. */
        COMPLETE,
        /** No instance ran it for a while: its topics and consumer group are deleted, and its application id is not used again. */
        RETIRED
    }

    public TopologyVersion {
        stores = Set.copyOf(stores);
        repartitions = Set.copyOf(repartitions);
    }

    public boolean complete() {
        return state == State.COMPLETE;
    }

    public boolean retired() {
        return state == State.RETIRED;
    }

    /** The same version, retired. */
    TopologyVersion retiredNow() {
        return new TopologyVersion(fingerprint, applicationId, State.RETIRED, seedFrom, stores, repartitions);
    }

    /** The same version, complete. */
    TopologyVersion completed() {
        return new TopologyVersion(fingerprint, applicationId, State.COMPLETE, seedFrom, stores, repartitions);
    }

    /** The changelog topic of {@code store} in this version. */
    public String changelog(final String store) {
        return applicationId + "-" + store + "-changelog";
    }

    /** Every topic of this version's own: changelogs and repartition topics. */
    public Set<String> internalTopics() {
        final Set<String> topics = new TreeSet<>();
        stores.forEach(store -> topics.add(changelog(store)));
        repartitions.forEach(name -> topics.add(applicationId + "-" + name));
        return topics;
    }

    byte[] toBytes() {
        final ObjectNode node = Json.mapper().createObjectNode()
                .put("applicationId", applicationId)
                .put("state", state.name().toLowerCase(java.util.Locale.ROOT));
        seedFrom.ifPresent(from -> node.put("seedFrom", from));
        node.set("stores", Json.mapper().valueToTree(new TreeSet<>(stores)));
        node.set("repartitions", Json.mapper().valueToTree(new TreeSet<>(repartitions)));
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The version a record of the versions topic holds; empty when it is not one. */
    static Optional<TopologyVersion> parse(final String fingerprint, final byte[] value) {
        if (fingerprint == null || value == null) {
            return Optional.empty();
        }
        try {
            final JsonNode node = Json.mapper().readTree(value);
            final String id = node.path("applicationId").asText("");
            if (id.isEmpty()) {
                return Optional.empty();
            }
            final State state = switch (node.path("state").asText()) {
                case "complete" -> State.COMPLETE;
                case "retired" -> State.RETIRED;
                default -> State.BUILDING;
            };
            final Optional<String> from = node.hasNonNull("seedFrom") ? Optional.of(node.get("seedFrom").asText()) : Optional.empty();
            return Optional.of(new TopologyVersion(fingerprint, id, state, from, strings(node.path("stores")), strings(node.path("repartitions"))));
        } catch (final IOException e) {
            return Optional.empty();
        }
    }

    static Set<String> strings(final JsonNode array) {
        final Set<String> values = new TreeSet<>();
        array.forEach(value -> values.add(value.asText()));
        return values;
    }
}
