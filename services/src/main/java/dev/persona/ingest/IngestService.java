package dev.persona.ingest;

import dev.persona.topology.TopicNames;
import dev.persona.config.PersonaConfig;
import dev.persona.config.SourceConfig;
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
    private final KafkaProducer<String, byte[]> requests;
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

    private IngestService(final PersonaConfig config, final List<SyncConfig> runnable, final RunHistory history,
                          final KafkaProducer<String, byte[]> requests, final SyncOwnership ownership, final SlotLag slots,
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
        provisioner.provisionControl(new TopicNames(config.kafka()).control(), Math.max(1, runnable.size()));
        provisioner.provisionCompacted(new TopicNames(config.kafka()).runs());
        provisioner.provisionCompacted(new TopicNames(config.kafka()).cdcOffsets());
        runnable.stream().filter(s -> s.source() instanceof SourceConfig.Query)
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
        final KafkaProducer<String, byte[]> requests = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
        final FailureAlerts alerts = new FailureAlerts(java.time.Clock.systemUTC());
        final SyncOwnership ownership = runnable.isEmpty() ? null : SyncOwnership.start(new TopicNames(config.kafka()).control(), runnable,
                config.kafka().applicationId() + "-sync-runners", clientProperties, sync -> sync.source() instanceof SourceConfig.Query
                        ? new QuerySyncWorker(config, sync, clientProperties, history, alerts, instance)
                        : new CdcSyncWorker(config, sync, clientProperties, history, alerts, instance));
        return new IngestService(config, runnable, history, requests, ownership, slots, clientProperties, instance);
    }

    /**
     * Reads a topic sync's topic again from its earliest offset (a full resync), on this instance, in the background;
     * the run history shows it as a run triggered {@code full}.
     *
     * @throws IllegalArgumentException when the sync is not a topic sync of this configuration
     */
    public void replayTopic(final String syncId) {
        final SyncConfig sync = config.sync(syncId).filter(s -> s.source() instanceof SourceConfig.Topic)
                .orElseThrow(() -> new IllegalArgumentException("sync '" + syncId + "' is not a topic sync"));
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

    /**
     * Asks the instance that owns a query sync to run it now, or a CDC sync to read its table again ({@code full}).
     *
     * @throws IllegalArgumentException when the sync is neither a query nor a CDC sync of this configuration
     */
    public void requestRun(final String syncId, final boolean full) {
        control(syncId, Json.mapper().createObjectNode().put("full", full).toString(), "run on request", true);
    }

    /**
     * Asks the instance that runs a query sync to stop its run in progress; nothing of that run is applied.
     *
     * @throws IllegalArgumentException when the sync is not a query sync of this configuration
     */
    public void requestCancel(final String syncId) {
        control(syncId, Json.mapper().createObjectNode().put("cancel", true).toString(), "have runs to cancel", false);
    }

    private void control(final String syncId, final String request, final String what, final boolean cdcToo) {
        final int partition = runnable.stream().map(SyncConfig::id).toList().indexOf(syncId);
        if (partition < 0 || !(runnable.get(partition).source() instanceof SourceConfig.Query
                || cdcToo && runnable.get(partition).source() instanceof SourceConfig.Cdc)) {
            throw new IllegalArgumentException("sync '" + syncId + "' is not a query sync; only query syncs " + what);
        }
        final byte[] body = request.getBytes(StandardCharsets.UTF_8);
        try {
            requests.send(new ProducerRecord<>(new TopicNames(config.kafka()).control(), partition, syncId, body)).get(10, TimeUnit.SECONDS);
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
        requests.close(Duration.ofSeconds(5));
        history.close();
    }
}
