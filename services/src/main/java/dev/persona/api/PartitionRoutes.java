package dev.persona.api;

import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.topology.TopicNames;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import org.apache.kafka.common.TopicPartition;
import dev.persona.routing.KeyLocator;
import dev.persona.routing.Member;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code GET /v1/collections/{collection}/partitions}: where each partition of a collection lives, and how a key maps
 * to its partition, so that a proxy or a client can send each lookup to an instance that holds the key (its active
 * owner, or with {@code kafka.readFrom: nearest} any of its standbys) and save the hop. The map is Kafka Streams' view
 * on the instance asked; it changes when instances come and go, and a lookup sent to the wrong instance is still
 * answered (forwarded), so a client refreshes it now and then rather than on every change.
 */
final class PartitionRoutes {
    /** The partitioner ({@code KeyPartitions}), in words a client in another language can implement. */
    static final String PARTITIONER = "murmur2: Kafka's default partitioner over the key's UTF-8 bytes, "
            + "(murmur2(bytes) & 0x7fffffff) % partitions";

    private final PersonaConfig config;
    private final KeyLocator locator;
    private final Authenticator auth;

    PartitionRoutes(final PersonaConfig config, final KeyLocator locator, final Authenticator auth) {
        this.config = config;
        this.locator = locator;
        this.auth = auth;
    }

    void register(final RoutesConfig routes) {
        routes.get("/v1/collections/{collection}/partitions", this::partitions);
    }

    private void partitions(final Context ctx) {
        final CollectionConfig collection = auth.requireReader(ctx, ctx.pathParam("collection")).collection();
        // Every task of the record store reads the collection's purge requests: their partitions are the store's.
        final String topic = new TopicNames(config.kafka()).purges(collection.name());
        final Map<Integer, String> active = new LinkedHashMap<>();
        final Map<Integer, TreeSet<String>> standbys = new LinkedHashMap<>();
        for (final Member instance : locator.members()) {
            final String host = KeyLocator.address(instance.host());
            for (final TopicPartition partition : instance.active()) {
                if (partition.topic().equals(topic)) {
                    active.put(partition.partition(), host);
                }
            }
            for (final TopicPartition partition : instance.standby()) {
                if (partition.topic().equals(topic)) {
                    standbys.computeIfAbsent(partition.partition(), p -> new TreeSet<>()).add(host);
                }
            }
        }
        final List<Map<String, Object>> owners = new ArrayList<>();
        for (int p = 0; p < collection.partitions(); p++) {
            final Map<String, Object> owner = new LinkedHashMap<>();
            owner.put("partition", p);
            owner.put("active", active.get(p));
            owner.put("standbys", standbys.getOrDefault(p, new TreeSet<>()));
            owners.add(owner);
        }
        final Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("collection", collection.name());
        answer.put("primaryIndex", collection.primaryIndex());
        answer.put("partitions", collection.partitions());
        answer.put("partitioner", PARTITIONER);
        answer.put("readFrom", config.kafka().readFrom().configName());
        answer.put("owners", owners);
        ctx.json(answer);
    }
}
