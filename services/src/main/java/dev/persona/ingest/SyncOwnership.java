package dev.persona.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.SyncConfig;
import dev.persona.kafka.Backoff;
import dev.persona.topology.Json;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Runs each CDC and query sync on exactly one instance, chosen by Kafka's consumer-group assignment: every
 * instance joins one group on the control topic, and the instance assigned partition {@code i} runs the syncs whose
 * id hashes to {@code i} ({@link RunnableSyncs#partitionOf}). When that instance stops or dies, the group gives the
 * partition, and so its syncs, to another. An instance whose configuration lacks a sync (a rollout under way) runs
 * the others of the partition; the sync runs once an instance that has it holds the partition.
 * Records on the control topic are run requests ({@code {"full": bool}}) and cancellations ({@code {"cancel": true}})
 * for the sync of their partition.
 * <p>
 * A request is read once by the group, whoever holds its partition when it arrives: the group commits its position
 * after each batch, and an instance given a partition goes on from there. A request sent while the partition moves
 * (an instance joins or leaves) therefore reaches the new owner rather than being skipped by it. A request older
 * than {@link #REQUEST_LIFETIME} when read (the cluster was down when it was sent) is dropped with a log line:
 * starting a run an operator asked for long ago would surprise more than it helps.
 * <p>
 * A failure of the loop (the consumer fails, a worker throws) does not end it: the syncs here stop, the failure is
 * reported by {@link #failure()}, and the instance joins the group again with backoff (1 s doubling to 30 s).
 */
public final class SyncOwnership implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SyncOwnership.class);
    /** How old a request may be when read and still start a run. */
    static final Duration REQUEST_LIFETIME = Duration.ofMinutes(5);

    private final String topic;
    private final List<SyncConfig> syncs;
    private final Function<SyncConfig, SyncWorker> workers;
    private final Map<String, Object> consumerProperties;
    /** The syncs running here, by id. */
    private final Map<String, SyncWorker> running = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile boolean closed;
    private volatile String failure;

    private SyncOwnership(final String topic, final List<SyncConfig> syncs, final String groupId,
                          final Map<String, Object> clientProperties, final Function<SyncConfig, SyncWorker> workers) {
        this.topic = topic;
        this.syncs = syncs;
        this.workers = workers;
        final Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        // Positions are the group's, committed after each batch: a partition that moves goes on where it was. A
        // group with no position yet reads what the topic holds; REQUEST_LIFETIME drops what is old.
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // A dead owner's syncs move within the session timeout.
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 2_000);
        // Incremental rebalancing: when an instance joins or leaves, only the syncs that move are stopped. With the
        // default list (range first, so eager) every sync of every instance stopped and started again at each
        // rebalance: seconds without capture for each CDC sync. The default list also holds the cooperative
        // assignor, so a rolling restart onto this one is the second of Kafka's two upgrade bounces (KIP-429).
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        this.consumerProperties = props;
        this.thread = new Thread(this::loop, "persona-sync-ownership");
        this.thread.setDaemon(true);
    }

    /**
     * Joins the group and starts running the syncs it is given.
     *
     * @param syncs   the runnable syncs ({@link RunnableSyncs#of})
     * @param workers makes the worker of a sync this instance now owns
     */
    public static SyncOwnership start(final String topic, final List<SyncConfig> syncs, final String groupId,
                                      final Map<String, Object> clientProperties, final Function<SyncConfig, SyncWorker> workers) {
        final SyncOwnership ownership = new SyncOwnership(topic, syncs, groupId, clientProperties, workers);
        ownership.thread.start();
        return ownership;
    }

    /** The ids of the syncs running here now. */
    public Set<String> owned() {
        return Set.copyOf(running.keySet());
    }

    /** Why this instance runs no syncs now (it is rejoining the group); empty while all is well. */
    public Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    private void loop() {
        final Backoff backoff = Backoff.standard();
        while (!closed) {
            try {
                follow(backoff);
            } catch (final WakeupException e) {
                if (!closed) {
                    failure = "sync ownership was woken up unexpectedly";
                    LOG.warn("Sync ownership woken up unexpectedly; rejoining");
                }
            } catch (final RuntimeException e) {
                failure = "sync ownership failed: " + e;
                LOG.error("Sync ownership failed; this instance runs no syncs until it rejoins the group (with backoff)", e);
            } finally {
                Set.copyOf(running.keySet()).forEach(this::stopSync);
                closeConsumer();
            }
            if (!closed) {
                backoff.pause(() -> closed);
            }
        }
    }

    private void follow(final Backoff backoff) {
        final KafkaConsumer<String, byte[]> current = new KafkaConsumer<>(consumerProperties, new StringDeserializer(), new ByteArrayDeserializer());
        consumer = current;
        if (closed) {
            return;
        }
        current.subscribe(List.of(topic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(final Collection<TopicPartition> partitions) {
                partitions.forEach(p -> stop(p.partition()));
                commit(current);
            }

            @Override
            public void onPartitionsAssigned(final Collection<TopicPartition> partitions) {
                partitions.forEach(p -> begin(p.partition()));
            }
        });
        while (!closed) {
            final var records = current.poll(Duration.ofMillis(500));
            for (final ConsumerRecord<String, byte[]> record : records) {
                final SyncWorker worker = record.key() == null ? null : running.get(record.key());
                final Duration age = Duration.ofMillis(Math.max(0, System.currentTimeMillis() - record.timestamp()));
                if (worker != null && age.compareTo(REQUEST_LIFETIME) > 0) {
                    LOG.info("Sync {}: dropped a request sent {} s ago (older than {} min)", record.key(), age.toSeconds(),
                            REQUEST_LIFETIME.toMinutes());
                } else if (worker != null && RunnableSyncs.partitionOf(record.key()) == record.partition()) {
                    try {
                        if (isCancel(record.value())) {
                            worker.cancel();
                        } else {
                            worker.trigger(isFull(record.value()) ? RunTrigger.FULL : RunTrigger.MANUAL);
                        }
                    } catch (final RuntimeException e) {
                        LOG.warn("Sync {}: cannot start the requested run", record.key(), e);
                    }
                }
            }
            if (!records.isEmpty()) {
                commit(current);
            }
            if (failure != null) {
                LOG.info("Sync ownership recovered");
                failure = null;
            }
            backoff.reset();
        }
    }

    /**
     * Commits what was read. A commit that fails (the group rebalanced meanwhile) costs at most a request read twice,
     * one more run of the sync: redundant, never wrong.
     */
    private static void commit(final KafkaConsumer<String, byte[]> consumer) {
        try {
            consumer.commitSync(Duration.ofSeconds(5));
        } catch (final org.apache.kafka.common.errors.WakeupException e) {
            throw e;
        } catch (final RuntimeException e) {
            LOG.debug("Sync ownership: positions not committed", e);
        }
    }

    private void closeConsumer() {
        final KafkaConsumer<String, byte[]> current = consumer;
        if (current != null) {
            try {
                current.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
            } catch (final RuntimeException e) {
                LOG.warn("Error closing the sync ownership consumer", e);
            }
        }
    }

    /** A sync that cannot start here fails the loop: the instance rejoins, rather than hold a sync it does not run. */
    private void begin(final int partition) {
        for (final SyncConfig sync : syncs) {
            if (RunnableSyncs.partitionOf(sync) == partition && !running.containsKey(sync.id())) {
                running.put(sync.id(), workers.apply(sync));
                LOG.info("Running sync {} on this instance", sync.id());
            }
        }
    }

    private void stop(final int partition) {
        for (final SyncConfig sync : syncs) {
            if (RunnableSyncs.partitionOf(sync) == partition) {
                stopSync(sync.id());
            }
        }
    }

    private void stopSync(final String id) {
        final SyncWorker worker = running.remove(id);
        if (worker != null) {
            try {
                worker.close();
                LOG.info("Stopped sync {} on this instance", id);
            } catch (final RuntimeException e) {
                // One worker that fails to stop must not keep the others running, nor end this thread.
                LOG.error("Sync {}: failed to stop cleanly", id, e);
            }
        }
    }

    private static boolean isCancel(final byte[] value) {
        if (value == null) {
            return false;
        }
        try {
            return Json.mapper().readTree(value).path("cancel").asBoolean(false);
        } catch (final IOException e) {
            return false;
        }
    }

    private static boolean isFull(final byte[] value) {
        if (value == null) {
            return false;
        }
        try {
            final JsonNode request = Json.mapper().readTree(value);
            return request.path("full").asBoolean(false);
        } catch (final IOException e) {
            return false;
        }
    }

    /** Stops every sync here and leaves the group, so other instances take them over at once. */
    @Override
    public void close() {
        closed = true;
        final KafkaConsumer<String, byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
        try {
            thread.join(30_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
