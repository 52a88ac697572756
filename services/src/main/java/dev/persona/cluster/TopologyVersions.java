package dev.persona.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.kafka.TopicFollower;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The versions of the topology a cluster runs, in a compacted topic keyed by fingerprint ({@code TopicNames#versions}).
 * Kafka Streams runs one topology per application, so a configuration change that changes the topology (a sync, a
 * collection, a nested array or a first secondary index added or removed, a Persona upgrade that changes the merge)
 * makes a new version: an application of its own, {@code <applicationId>-<fingerprint>}, whose stores are copied from
 * the running version ({@link VersionSeed}) and which catches up beside it. Its instances answer once it is complete
 * ({@link VersionBuild}); the old version's instances answer until they are replaced, and the old version's topics
 * are deleted once no instance runs it. So a change rolls out one instance at a time, with lookups answered
 * throughout, and rolling back is rolling out the old file again.
 * <p>
 * The first version of a cluster runs under {@code <applicationId>} itself: a cluster that existed before versions
 * keeps its state, and its running topology is recorded as that version the first time another one starts.
 */
public final class TopologyVersions implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopologyVersions.class);
    /** How many characters of the fingerprint name a version's application id. */
    private static final int ID_CHARACTERS = 8;

    private final String topic;
    private final Map<String, Object> clientProperties;
    private final Map<String, TopologyVersion> versions = new ConcurrentHashMap<>();
    /** Where each version was last written in the topic: the later, the newer. */
    private final Map<String, Long> writtenAt = new ConcurrentHashMap<>();
    private TopicFollower follower;

    private TopologyVersions(final String topic, final Map<String, Object> clientProperties) {
        this.topic = topic;
        this.clientProperties = clientProperties;
    }

    /** Reads every version the topic holds, then follows it. */
    public static TopologyVersions follow(final String topic, final Map<String, Object> clientProperties) {
        final TopologyVersions all = new TopologyVersions(topic, clientProperties);
        all.follower = TopicFollower.start(topic, clientProperties, record -> {
            if (record.key() == null) {
                return;
            }
            final Optional<TopologyVersion> version = TopologyVersion.parse(record.key(), record.value());
            if (version.isPresent()) {
                all.versions.put(record.key(), version.get());
                all.writtenAt.put(record.key(), record.offset());
            } else {
                all.versions.remove(record.key());
                all.writtenAt.remove(record.key());
            }
        });
        return all;
    }

    /** Every version the cluster knows, by fingerprint. */
    public Map<String, TopologyVersion> all() {
        return Map.copyOf(versions);
    }

    /** The version of {@code fingerprint} as last written. */
    public Optional<TopologyVersion> get(final String fingerprint) {
        return Optional.ofNullable(versions.get(fingerprint));
    }

    /**
     * The version this instance runs: the one recorded for its topology's fingerprint, or a new one.
     *
     * @param base      the configured {@code kafka.applicationId}
     * @param stores    the topology's stores
     * @param repartitions its repartition topics (without application id)
     * @param livePeers the running instances' registry entries, by {@code host:port} ({@link InstanceRegistry#livePeers})
     */
    public TopologyVersion resolve(final String base, final String fingerprint, final Set<String> stores, final Set<String> repartitions,
                                   final Map<String, JsonNode> livePeers) {
        final TopologyVersion known = versions.get(fingerprint);
        if (known != null && !known.retired()) {
            return known;
        }
        final Map<String, Integer> running = new HashMap<>();
        livePeers.values().forEach(entry -> running.merge(entry.path("fingerprint").asText(), 1, Integer::sum));
        running.remove(fingerprint);
        if (versions.isEmpty()) {
            if (running.isEmpty()) {
                // A new cluster, or one that ran before versions existed and is stopped: its state is this version's.
                return write(new TopologyVersion(fingerprint, base, TopologyVersion.State.COMPLETE, Optional.empty(), stores, repartitions));
            }
            // Instances that predate versions run under the application id itself: that is the version to copy.
            final String theirs = running.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            final Set<String> theirStores = new java.util.TreeSet<>();
            livePeers.values().stream().filter(e -> theirs.equals(e.path("fingerprint").asText()))
                    .forEach(e -> theirStores.addAll(TopologyVersion.strings(e.path("stores"))));
            write(new TopologyVersion(theirs, base, TopologyVersion.State.COMPLETE, Optional.empty(), theirStores, Set.of()));
            return write(new TopologyVersion(fingerprint, idOf(base, fingerprint, null), TopologyVersion.State.BUILDING, Optional.of(base), stores,
                    repartitions));
        }
        final Optional<TopologyVersion> from = seedSource(running);
        return write(new TopologyVersion(fingerprint, idOf(base, fingerprint, known), TopologyVersion.State.BUILDING,
                from.map(TopologyVersion::applicationId), stores, repartitions));
    }

    /**
     * The application id of a later version: {@code <base>-<fingerprint>}, and a generation after it when the same
     * topology ran before and was retired (its topics may still be being deleted: the name is not used again).
     */
    static String idOf(final String base, final String fingerprint, final TopologyVersion retired) {
        final String id = base + "-" + fingerprint.substring(0, Math.min(ID_CHARACTERS, fingerprint.length()));
        if (retired == null) {
            return id;
        }
        final String previous = retired.applicationId();
        final int generation = previous.startsWith(id + "-g") ? Integer.parseInt(previous.substring(id.length() + 2)) + 1 : 2;
        return id + "-g" + generation;
    }

    /**
     * What a new version copies its stores from: a complete version that instances run (the most of them), else the
     * last complete version written.
     */
    private Optional<TopologyVersion> seedSource(final Map<String, Integer> running) {
        final List<TopologyVersion> complete = new ArrayList<>(versions.values().stream().filter(TopologyVersion::complete).toList());
        final Optional<TopologyVersion> live = complete.stream().filter(v -> running.containsKey(v.fingerprint()))
                .max(java.util.Comparator.comparingInt(v -> running.get(v.fingerprint())));
        if (live.isPresent()) {
            return live;
        }
        return complete.stream().max(java.util.Comparator.comparingLong(v -> writtenAt.getOrDefault(v.fingerprint(), -1L)));
    }

    /** Records that {@code version} is complete: its instances answer. */
    public TopologyVersion complete(final TopologyVersion version) {
        return write(version.completed());
    }

    /** Records that {@code version}'s topics are gone: the same topology again is a new version. */
    public void retire(final TopologyVersion version) {
        write(version.retiredNow());
    }

    private TopologyVersion write(final TopologyVersion version) {
        writtenAt.put(version.fingerprint(), send(version.fingerprint(), version.toBytes()));
        versions.put(version.fingerprint(), version);
        LOG.info("Topology version {} ({}): {}", version.applicationId(), version.fingerprint(), version.state().name().toLowerCase(java.util.Locale.ROOT));
        return version;
    }

    private long send(final String key, final byte[] value) {
        final Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "persona-topology-versions");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            return producer.send(new ProducerRecord<>(topic, 0, key, value)).get(30, TimeUnit.SECONDS).offset();
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot write the topology version " + key + " to " + topic + ": " + e, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing to " + topic, e);
        }
    }

    /** Why following the versions fails now, if it does. */
    public Optional<String> failure() {
        return follower.failure();
    }

    @Override
    public void close() {
        if (follower != null) {
            follower.close();
        }
    }
}
