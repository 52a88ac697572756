package dev.persona.ingest;

import dev.persona.topology.TopicNames;
import dev.persona.config.PersonaConfig;
import dev.persona.config.SyncConfig;
import dev.persona.ingest.cdc.CdcSyncWorker;
import dev.persona.ingest.cdc.SlotLag;
import dev.persona.ingest.query.QuerySyncWorker;
import dev.persona.kafka.TopicProvisioner;
import dev.persona.topology.Json;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Ingest on one instance: the run history every instance shows, and the CDC and query syncs this instance owns.
 */
public final class IngestService implements AutoCloseable {
    private final PersonaConfig config;
    private final List<SyncConfig> runnable;
    private final RunHistory history;
    private final Requests requests;
    private final SyncOwnership ownership;
    private final SlotLag slots;
    private final Map<String, Object> clientProperties;
    private final String instance;
    private final java.util.concurrent.ExecutorService replays = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        final Thread thread = new Thread(r, "persona-topic-replay");
        thread.setDaemon(true);
        return thread;
    });
    private final java.util.concurrent.atomic.AtomicReference<Boolean> stopping = new java.util.concurrent.atomic.AtomicReference<>(false);

    /** Sends a request to the instance that runs a sync, on the sync's partition of the control topic. */
    private interface Requests extends AutoCloseable {
        void send(int partition, String sync, byte[] body) throws Exception;

        @Override
        void close();
    }

    private IngestService(final PersonaConfig config, final List<SyncConfig> runnable, final RunHistory history,
                          final Requests requests, final SyncOwnership ownership, final SlotLag slots,
                          final Map<String, Object> clientProperties, final String instance) {
        this.clientProperties = Map.copyOf(clientProperties);
        this.instance = instance;
        this.config = config;
        this.slots = slots;
        this.runnable = runnable;
        this.history = history;
        this.requests = requests;
        this.ownership = ownership;
    }

    /** Creates the topics ingest needs: control, run history, each query sync's state, CDC offsets. */
    public static void provision(final PersonaConfig config, final TopicProvisioner provisioner) {
        final List<SyncConfig> runnable = RunnableSyncs.of(config);
        provisioner.provisionControl(new TopicNames(config.kafka()).control(), RunnableSyncs.CONTROL_PARTITIONS);
        provisioner.provisionCompacted(new TopicNames(config.kafka()).runs());
        provisioner.provisionCompacted(new TopicNames(config.kafka()).cdcOffsets());
        runnable.stream().filter(s -> s.source().hasRuns())
                .forEach(s -> provisioner.provisionCompacted(new TopicNames(config.kafka()).state(s)));
    }

    /**
     * Starts following the run history and joins the group that shares out the syncs.
     *
     * @param instance this instance's {@code host:port}, recorded with each run
     */
    public static IngestService start(final PersonaConfig config, final Map<String, Object> clientProperties, final String instance,
                                      final MeterRegistry metrics) {
        final List<SyncConfig> runnable = RunnableSyncs.of(config);
        final RunHistory history = RunHistory.start(new TopicNames(config.kafka()).runs(), clientProperties, metrics);
        SyncMetrics.bind(config, history, metrics, java.time.Clock.systemUTC());
        final SlotLag slots = SlotLag.start(config, metrics);
        final Map<String, Object> producerProps = new HashMap<>(clientProperties);
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        final KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
        final String control = new TopicNames(config.kafka()).control();
        final Requests requests = new Requests() {
            @Override
            public void send(final int partition, final String sync, final byte[] body) throws Exception {
                producer.send(new ProducerRecord<>(control, partition, sync, body)).get(10, TimeUnit.SECONDS);
            }

            @Override
            public void close() {
                producer.close(Duration.ofSeconds(5));
            }
        };
        final FailureAlerts alerts = new FailureAlerts(java.time.Clock.systemUTC());
        final SyncOwnership ownership = runnable.isEmpty() ? null : SyncOwnership.start(new TopicNames(config.kafka()).control(), runnable,
                config.kafka().applicationId() + "-sync-runners", clientProperties, sync -> sync.source().<SyncWorker>on(
                        cdc -> new CdcSyncWorker(config, sync, clientProperties, history, alerts, instance),
                        query -> new QuerySyncWorker(config, sync, clientProperties, history, alerts, instance),
                        topic -> {
                            throw new IllegalStateException("topic sync " + sync.id() + " is read by the topology, not run by an instance");
                        }));
        return new IngestService(config, runnable, history, requests, ownership, slots, clientProperties, instance);
    }

    /**
     * Ingest held by this process alone, with no broker, for tests of the HTTP layer: the syncs of {@code config} are
     * known and their runs kept in memory, but none runs, and a request to run one reaches no instance.
     */
    public static IngestService inMemory(final PersonaConfig config, final MeterRegistry metrics) {
        final Requests nowhere = new Requests() {
            @Override
            public void send(final int partition, final String sync, final byte[] body) {
                // No instance runs syncs here.
            }

            @Override
            public void close() {
            }
        };
        return new IngestService(config, RunnableSyncs.of(config), RunHistory.inMemory(metrics), nowhere, null, SlotLag.none(),
                Map.of(), "memory");
    }

    /**
     * What a sync cannot be asked to do, worded for whoever asked, with the way to ask instead.
     */
    public static final class Refused extends IllegalArgumentException {
        Refused(final String message) {
            super(message);
        }
    }

    /**
     * Starts what a run on request means for the sync's type: a query sync's run now (or a full one, which also takes
     * unchanged rows again), a CDC sync's new snapshot of its table ({@code full} only), a topic sync's topic read
     * again from its earliest offset on this instance ({@code full} only).
     *
     * @throws Refused when the sync reads continuously and {@code full} is not set
     */
    public void requestRun(final SyncConfig sync, final boolean full) {
        sync.source().<Runnable>on(
                cdc -> () -> {
                    if (!full) {
                        throw new Refused("sync '" + sync.id() + "' captures changes continuously and has no runs to start; "
                                + "send {\"full\": true} (persona syncs run " + sync.id() + " --full) to read its table again");
                    }
                    control(sync, Json.mapper().createObjectNode().put("full", true).toString());
                },
                query -> () -> control(sync, Json.mapper().createObjectNode().put("full", full).toString()),
                topic -> () -> {
                    if (!full) {
                        throw new Refused("sync '" + sync.id() + "' reads a topic continuously and has no runs to start; "
                                + "send {\"full\": true} (persona syncs run " + sync.id() + " --full) to read the topic again from its start");
                    }
                    replayTopic(sync);
                }).run();
    }

    /**
     * Asks the instance that runs a query sync to stop its run in progress; nothing of that run is applied.
     *
     * @throws Refused when the sync has no runs (CDC and topic syncs read continuously)
     */
    public void requestCancel(final SyncConfig sync) {
        if (!sync.source().hasRuns()) {
            throw new Refused("sync '" + sync.id() + "' reads a " + sync.source().type() + " source continuously; only query syncs have runs to cancel");
        }
        control(sync, Json.mapper().createObjectNode().put("cancel", true).toString());
    }

    /**
     * Reads a topic sync's topic again from its earliest offset (a full resync), on this instance, in the background;
     * the run history shows it as a run triggered {@code full}.
     */
    private void replayTopic(final SyncConfig sync) {
        final SyncRun started = SyncRun.start(sync.id(), RunTrigger.FULL, true, instance);
        history.record(started);
        replays.execute(() -> history.record(TopicReplay.copy(sync, new TopicNames(config.kafka()), clientProperties, started, stopping)));
    }

    /** The run history. */
    public RunHistory history() {
        return history;
    }

    /** Why this instance runs no syncs now, if so. */
    public java.util.Optional<String> ownershipFailure() {
        return ownership == null ? java.util.Optional.empty() : ownership.failure();
    }

    /** The ids of the syncs running on this instance now. */
    public Set<String> owned() {
        return ownership == null ? Set.of() : ownership.owned();
    }

    /** Sends {@code request} to the instance that runs {@code sync}, on the sync's partition of the control topic. */
    private void control(final SyncConfig sync, final String request) {
        final int partition = RunnableSyncs.partitionOf(sync);
        if (runnable.stream().noneMatch(s -> s.id().equals(sync.id()))) {
            throw new IllegalArgumentException("sync '" + sync.id() + "' is not run by an instance of this configuration");
        }
        final String syncId = sync.id();
        final byte[] body = request.getBytes(StandardCharsets.UTF_8);
        try {
            requests.send(partition, syncId, body);
        } catch (final Exception e) {
            throw new IllegalStateException("cannot send a request to " + syncId + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        stopping.set(true);
        replays.shutdownNow();
        slots.close();
        if (ownership != null) {
            ownership.close();
        }
        requests.close();
        history.close();
    }
}
