package dev.persona.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.kafka.TopicFollower;
import dev.persona.kafka.TopologyMismatchException;
import dev.persona.topology.Json;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TopologyDescription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Which topology each running instance of a cluster runs. Kafka Streams needs every member of an application to run
 * the same topology: a member given tasks of a topology it lacks kills its stream threads over and over, and one
 * whose topology has stores the group's leader lacks never hosts them. A configuration change that adds or removes a
 * collection, a sync, a nested array or a collection's first secondary index changes the topology; rolled out one instance at a time, it
 * used to leave half the cluster's partitions unserved, with every instance reporting ready.
 * <p>
 * Each instance writes its topology's fingerprint to a compacted topic, again every {@link #HEARTBEAT}, and removes it
 * when it stops. Before its Streams start, an instance registers, then reads every entry: a peer written within
 * {@link #LIVE} whose fingerprint differs stops the start, naming the peers and the stores that differ. Registering
 * before reading means that of two instances starting together with different topologies, each sees the other. Times
 * are the broker's ({@code LogAppendTime}), so the hosts' clocks never meet.
 */
public final class InstanceRegistry implements AutoCloseable {
    /** How often a running instance writes its entry again. */
    public static final Duration HEARTBEAT = Duration.ofSeconds(10);
    /** An entry written longer ago than this is an instance that is gone (killed, or frozen). */
    public static final Duration LIVE = Duration.ofSeconds(35);

    private static final Logger LOG = LoggerFactory.getLogger(InstanceRegistry.class);

    private final String topic;
    private final String self;
    private final byte[] entry;
    private final KafkaProducer<String, byte[]> producer;
    private final ScheduledExecutorService heartbeat;

    private InstanceRegistry(final String topic, final String self, final byte[] entry, final Map<String, Object> clientProperties) {
        this.topic = topic;
        this.self = self;
        this.entry = entry;
        final Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "persona-instance-registry");
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread thread = new Thread(r, "persona-instance-registry");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Registers this instance and checks the running ones.
     *
     * @param topic    the registry topic ({@code TopicNames#instances}), compacted and broker-timed
     * @param self     this instance's advertised {@code host:port}
     * @param topology what this instance's Streams will run
     * @param config   the configuration file, named in a peer's refusal
     * @throws TopologyMismatchException when a live peer runs another topology; nothing of this instance stays registered
     */
    public static InstanceRegistry join(final String topic, final Map<String, Object> clientProperties, final String self,
                                        final TopologyDescription topology, final String config) {
        final Set<String> stores = stores(topology);
        final String mine = fingerprint(topology);
        final byte[] entry = Json.mapper().createObjectNode().put("fingerprint", mine).put("config", config)
                .<ObjectNode>set("stores", Json.mapper().valueToTree(stores))
                .toString().getBytes(StandardCharsets.UTF_8);
        final InstanceRegistry registry = new InstanceRegistry(topic, self, entry, clientProperties);
        try {
            final long now = registry.register();
            final Map<String, ConsumerRecord<String, byte[]>> latest = new TreeMap<>();
            TopicFollower.readAll(topic, clientProperties, record -> {
                if (record.key() != null) {
                    latest.put(record.key(), record);
                }
            });
            final List<String> differing = new ArrayList<>();
            final Set<String> theirs = new TreeSet<>();
            latest.forEach((peer, record) -> {
                if (peer.equals(self) || record.value() == null || record.timestamp() < now - LIVE.toMillis()) {
                    return;
                }
                final JsonNode registered = parse(record.value());
                if (!mine.equals(registered.path("fingerprint").asText())) {
                    differing.add(peer);
                    registered.path("stores").forEach(store -> theirs.add(store.asText()));
                }
            });
            if (!differing.isEmpty()) {
                throw new TopologyMismatchException(differing, config, only(stores, theirs), only(theirs, stores), LIVE);
            }
        } catch (final RuntimeException e) {
            registry.close();
            throw e;
        }
        registry.heartbeat.scheduleWithFixedDelay(registry::beat, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
        return registry;
    }

    /** The fingerprint of a topology: its description, which names every processor, store and topic, hashed. */
    static String fingerprint(final TopologyDescription topology) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(topology.toString().getBytes(StandardCharsets.UTF_8)))
                    .substring(0, 16);
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private static Set<String> stores(final TopologyDescription topology) {
        final Set<String> stores = new TreeSet<>();
        topology.subtopologies().forEach(s -> s.nodes().forEach(n -> {
            if (n instanceof TopologyDescription.Processor processor) {
                stores.addAll(processor.stores());
            }
        }));
        topology.globalStores().forEach(g -> g.processor().stores().forEach(stores::add));
        return stores;
    }

    private static Set<String> only(final Set<String> these, final Set<String> those) {
        final Set<String> only = new TreeSet<>(these);
        only.removeAll(those);
        return only;
    }

    private static JsonNode parse(final byte[] value) {
        try {
            return Json.mapper().readTree(value);
        } catch (final IOException e) {
            return Json.mapper().createObjectNode();
        }
    }

    /** Writes this instance's entry and answers the broker's time of it. */
    private long register() {
        try {
            return producer.send(new ProducerRecord<>(topic, 0, self, entry)).get(30, TimeUnit.SECONDS).timestamp();
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot write this instance's entry to " + topic + ": " + e, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while registering in " + topic, e);
        }
    }

    private void beat() {
        try {
            // A send that fails later (Kafka away past the delivery timeout) reports to the callback, not here.
            producer.send(new ProducerRecord<>(topic, 0, self, entry), (metadata, e) -> {
                if (e != null) {
                    cannotRenew(e);
                }
            });
        } catch (final RuntimeException e) {
            cannotRenew(e);
        }
    }

    private void cannotRenew(final Exception e) {
        LOG.warn("Cannot renew this instance's entry in {} ({}); retrying in {} s", topic, e.toString(), HEARTBEAT.toSeconds());
    }

    /** Stops renewing the entry and removes it, so that a new topology may start at once. Never throws. */
    @Override
    public void close() {
        heartbeat.shutdownNow();
        try {
            producer.send(new ProducerRecord<>(topic, 0, self, null)).get(5, TimeUnit.SECONDS);
        } catch (final ExecutionException | TimeoutException | RuntimeException e) {
            LOG.warn("Cannot remove this instance's entry from {}; it expires {} s after its last renewal", topic, LIVE.toSeconds());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            producer.close(Duration.ofSeconds(5));
        }
    }
}
