package dev.persona.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.kafka.TopicFollower;
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
 * Which topology version each running instance of a cluster runs. Each instance writes its topology's fingerprint,
 * stores and Kafka Streams application id to a compacted topic, again every {@link #HEARTBEAT}, and removes it when
 * it stops; every instance follows the topic. Instances of different topologies run side by side, each version as
 * an application of its own ({@link TopologyVersions}); what the registry tells is which versions still run, so that
 * a new instance copies a running version and a version no instance runs any more can be retired. Times are the
 * broker's ({@code LogAppendTime}), so the hosts' clocks never meet.
 */
public final class InstanceRegistry implements AutoCloseable {
    /** How often a running instance writes its entry again. */
    public static final Duration HEARTBEAT = Duration.ofSeconds(10);
    /** An entry written longer ago than this is an instance that is gone (killed, or frozen). */
    public static final Duration LIVE = Duration.ofSeconds(35);

    private static final Logger LOG = LoggerFactory.getLogger(InstanceRegistry.class);

    private final String topic;
    private final String self;
    private volatile byte[] entry;
    private final ObjectNode fields;
    private final KafkaProducer<String, byte[]> producer;
    private final ScheduledExecutorService heartbeat;
    /** Every instance's last entry, and the broker's time of it. */
    private final Map<String, ConsumerRecord<String, byte[]>> latest = new java.util.concurrent.ConcurrentHashMap<>();
    /** The latest broker time seen on the topic: this instance's heartbeat keeps it within {@link #HEARTBEAT} of now. */
    private volatile long brokerNow;
    private TopicFollower follower;

    private InstanceRegistry(final String topic, final String self, final ObjectNode fields, final Map<String, Object> clientProperties) {
        this.topic = topic;
        this.self = self;
        this.fields = fields;
        this.entry = fields.toString().getBytes(StandardCharsets.UTF_8);
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
     * Registers this instance and follows the others.
     *
     * @param topic    the registry topic ({@code TopicNames#instances}), compacted and broker-timed
     * @param self     this instance's advertised {@code host:port}
     * @param topology    what this instance's Streams will run
     * @param fingerprint its fingerprint ({@link #fingerprint(TopologyDescription, String)})
     * @param config      the configuration file, shown with the instance
     */
    public static InstanceRegistry join(final String topic, final Map<String, Object> clientProperties, final String self,
                                        final TopologyDescription topology, final String fingerprint, final String config) {
        final ObjectNode fields = Json.mapper().createObjectNode().put("fingerprint", fingerprint).put("config", config);
        fields.set("stores", Json.mapper().valueToTree(stores(topology)));
        final InstanceRegistry registry = new InstanceRegistry(topic, self, fields, clientProperties);
        try {
            registry.brokerNow = registry.register();
            registry.follower = TopicFollower.start(topic, clientProperties, record -> {
                if (record.key() == null) {
                    return;
                }
                registry.brokerNow = Math.max(registry.brokerNow, record.timestamp());
                if (record.value() == null) {
                    registry.latest.remove(record.key());
                } else {
                    registry.latest.put(record.key(), record);
                }
            });
        } catch (final RuntimeException e) {
            registry.close();
            throw e;
        }
        registry.heartbeat.scheduleWithFixedDelay(registry::beat, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
        return registry;
    }

    /** The entries of the other instances written within {@link #LIVE}, by {@code host:port}. */
    public Map<String, JsonNode> livePeers() {
        final Map<String, JsonNode> live = new TreeMap<>();
        final long now = brokerNow;
        latest.forEach((peer, record) -> {
            if (!peer.equals(self) && record.timestamp() >= now - LIVE.toMillis()) {
                live.put(peer, parse(record.value()));
            }
        });
        return live;
    }

    /** The fingerprints of the topology versions that running instances (this one included) run. */
    public Set<String> liveFingerprints() {
        final Set<String> running = new TreeSet<>();
        livePeers().values().forEach(peer -> running.add(peer.path("fingerprint").asText()));
        running.add(fields.path("fingerprint").asText());
        return running;
    }

    /** Records the application id this instance's version runs under, now and in every heartbeat. */
    public void runs(final String applicationId) {
        fields.put("applicationId", applicationId);
        entry = fields.toString().getBytes(StandardCharsets.UTF_8);
        brokerNow = Math.max(brokerNow, register());
    }

    /** The fingerprint of a topology: its description, which names every processor, store and topic, hashed. */
    public static String fingerprint(final TopologyDescription topology) {
        return fingerprint(topology, "");
    }

    /**
     * The fingerprint of a topology and the partition counts its description does not show: a resized collection's
     * ({@code PersonaTopology.resized}). Two resizes of one collection to other counts make the same description
     * (the same repartition steps) but another topology; a topology that resizes nothing keeps the fingerprint of
     * its description alone, as before resizes existed.
     */
    public static String fingerprint(final TopologyDescription topology, final String resized) {
        final String described = resized.isEmpty() ? topology.toString() : topology + "\nresized: " + resized;
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(described.getBytes(StandardCharsets.UTF_8)))
                    .substring(0, 16);
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /** The repartition topics of a topology, named without the application id. */
    public static Set<String> repartitions(final TopologyDescription topology) {
        final Set<String> topics = new TreeSet<>();
        topology.subtopologies().forEach(s -> s.nodes().forEach(n -> {
            if (n instanceof TopologyDescription.Source source && source.topicSet() != null) {
                source.topicSet().stream().filter(t -> t.endsWith("-repartition")).forEach(topics::add);
            }
        }));
        return topics;
    }

    /** The topics a topology reads that are not its own (sync topics, purge requests), by name. */
    public static Set<String> sourceTopics(final TopologyDescription topology) {
        final Set<String> topics = new TreeSet<>();
        topology.subtopologies().forEach(s -> s.nodes().forEach(n -> {
            if (n instanceof TopologyDescription.Source source && source.topicSet() != null) {
                source.topicSet().stream().filter(t -> !t.endsWith("-repartition")).forEach(topics::add);
            }
        }));
        return topics;
    }

    /** The stores of a topology. */
    public static Set<String> stores(final TopologyDescription topology) {
        final Set<String> stores = new TreeSet<>();
        topology.subtopologies().forEach(s -> s.nodes().forEach(n -> {
            if (n instanceof TopologyDescription.Processor processor) {
                stores.addAll(processor.stores());
            }
        }));
        topology.globalStores().forEach(g -> g.processor().stores().forEach(stores::add));
        return stores;
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

    /** Stops renewing the entry and removes it: the version it ran no longer counts this instance. Never throws. */
    @Override
    public void close() {
        heartbeat.shutdownNow();
        if (follower != null) {
            follower.close();
        }
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
