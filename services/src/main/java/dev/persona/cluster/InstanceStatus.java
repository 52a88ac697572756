package dev.persona.cluster;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.LagInfo;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * What this instance holds: its active and standby partitions per store, each copy's offset lag, and the progress
 * of restorations, and which of its background loops are failing now. It is also the {@link StateRestoreListener}
 * of the instance's Streams application.
 */
public final class InstanceStatus implements StateRestoreListener {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceStatus.class);
    private final Map<Integer, Set<String>> storesBySubtopology = new HashMap<>();
    private final Map<String, Map<Integer, long[]>> restoring = new ConcurrentHashMap<>();
    private final LongAdder restored = new LongAdder();
    private final Map<String, Supplier<Optional<String>>> watched = new ConcurrentHashMap<>();
    private final AtomicLong restoreStartedNanos = new AtomicLong();
    private final LongAdder restoredSinceStart = new LongAdder();
    /** The topology this instance runs; null until {@link #attach}: it then holds nothing. */
    private volatile KafkaStreams streams;
    /** The topology version's view; null until the instance knows it. */
    private volatile Supplier<Map<String, Object>> version;

    /** Learns which stores each sub-topology holds. */
    public InstanceStatus(final TopologyDescription topology) {
        for (final TopologyDescription.Subtopology subtopology : topology.subtopologies()) {
            final Set<String> stores = new TreeSet<>();
            subtopology.nodes().forEach(node -> {
                if (node instanceof TopologyDescription.Processor processor) {
                    stores.addAll(processor.stores());
                }
            });
            storesBySubtopology.put(subtopology.id(), stores);
        }
    }

    /** Reads from {@code running} from now on; called once, before it starts. */
    public void attach(final KafkaStreams running) {
        this.streams = running;
    }

    /** Watches a background loop: while {@code failure} yields a reason, {@link #problems()} lists it. */
    public void watch(final String component, final Supplier<Optional<String>> failure) {
        watched.put(component, failure);
    }

    /** The background loops failing now, by component, with why; empty when all run. */
    public Map<String, String> problems() {
        final Map<String, String> problems = new TreeMap<>();
        watched.forEach((component, failure) -> failure.get().ifPresent(why -> problems.put(component, why)));
        return problems;
    }

    /** Records restored from changelogs since this instance started (active and standby restoration). */
    public long restoredRecords() {
        return restored.sum();
    }

    /** The partitions of {@code store} this instance actively hosts now. */
    public Set<Integer> activePartitions(final String store) {
        final Set<Integer> partitions = new TreeSet<>();
        final KafkaStreams streams = this.streams;
        if (streams == null) {
            return partitions;
        }
        for (final ThreadMetadata thread : streams.metadataForLocalThreads()) {
            for (final TaskMetadata task : thread.activeTasks()) {
                if (storesBySubtopology.getOrDefault(task.taskId().subtopology(), Set.of()).contains(store)) {
                    partitions.add(task.taskId().partition());
                }
            }
        }
        return partitions;
    }

    /** This instance's view, as the cluster view shows it. */
    public Map<String, Object> report() {
        final Map<String, Map<String, Set<Integer>>> partitions = new TreeMap<>();
        final KafkaStreams streams = this.streams;
        if (streams == null) {
            return Map.of("state", "NOT_STARTED", "restoredRecords", restored.sum(), "stores", Map.of());
        }
        for (final ThreadMetadata thread : streams.metadataForLocalThreads()) {
            thread.activeTasks().forEach(task -> add(partitions, task, "active"));
            thread.standbyTasks().forEach(task -> add(partitions, task, "standby"));
        }
        Map<String, Map<Integer, LagInfo>> lags;
        try {
            lags = streams.allLocalStorePartitionLags();
        } catch (final RuntimeException e) {
            lags = Map.of();
        }
        final Map<String, Object> stores = new TreeMap<>();
        for (final Map.Entry<String, Map<String, Set<Integer>>> store : partitions.entrySet()) {
            final Map<String, Object> view = new LinkedHashMap<>();
            view.put("active", store.getValue().getOrDefault("active", Set.of()));
            view.put("standby", store.getValue().getOrDefault("standby", Set.of()));
            final Map<Integer, Long> lag = new TreeMap<>();
            lags.getOrDefault(store.getKey(), Map.of()).forEach((p, info) -> lag.put(p, info.offsetLag()));
            view.put("offsetLag", lag);
            final Map<Integer, Map<String, Long>> restoration = new TreeMap<>();
            restoring.getOrDefault(store.getKey(), Map.of()).forEach((p, progress) ->
                    restoration.put(p, Map.of("restored", progress[0], "total", progress[1])));
            view.put("restoring", restoration);
            stores.put(store.getKey(), view);
        }
        final Map<String, Object> report = new LinkedHashMap<>();
        report.put("state", streams.state().name());
        report.put("version", version());
        report.put("restoredRecords", restored.sum());
        report.put("stores", stores);
        return report;
    }

    private void add(final Map<String, Map<String, Set<Integer>>> partitions, final TaskMetadata task, final String kind) {
        for (final String store : storesBySubtopology.getOrDefault(task.taskId().subtopology(), Set.of())) {
            partitions.computeIfAbsent(store, s -> new TreeMap<>()).computeIfAbsent(kind, k -> new TreeSet<>()).add(task.taskId().partition());
        }
    }

    @Override
    public void onRestoreStart(final TopicPartition partition, final String store, final long startingOffset, final long endingOffset) {
        if (restoreStartedNanos.compareAndSet(0, System.nanoTime()) && endingOffset > startingOffset) {
            LOG.info("Restoring state stores from their changelogs (first: {} partition {}, {} records)", store, partition.partition(),
                    endingOffset - startingOffset);
        }
        restoring.computeIfAbsent(store, s -> new ConcurrentHashMap<>()).put(partition.partition(), new long[]{0, endingOffset - startingOffset});
    }

    @Override
    public void onBatchRestored(final TopicPartition partition, final String store, final long batchEndOffset, final long numRestored) {
        final long[] progress = restoring.getOrDefault(store, Map.of()).get(partition.partition());
        if (progress != null) {
            progress[0] += numRestored;
        }
        restored.add(numRestored);
        restoredSinceStart.add(numRestored);
    }

    /** Whether any store partition is restoring here now. */
    public boolean restoringAny() {
        return restoring.values().stream().anyMatch(partitions -> !partitions.isEmpty());
    }

    /** Shows the topology version this instance runs in {@link #report()} and {@link #version()}. */
    public void showVersion(final Supplier<Map<String, Object>> view) {
        this.version = view;
    }

    /** The topology version this instance runs: application id, fingerprint, state. */
    public Map<String, Object> version() {
        final Supplier<Map<String, Object>> view = version;
        return view == null ? Map.of() : view.get();
    }

    /** Whether {@code partition} of {@code store} is restoring here now: what it holds may be an older state. */
    public boolean isRestoring(final String store, final int partition) {
        final Map<Integer, long[]> ofStore = restoring.get(store);
        return ofStore != null && ofStore.containsKey(partition);
    }

    @Override
    public void onRestoreSuspended(final TopicPartition partition, final String store, final long totalRestored) {
        final Map<Integer, long[]> ofStore = restoring.get(store);
        if (ofStore != null) {
            ofStore.remove(partition.partition());
        }
    }

    @Override
    public void onRestoreEnd(final TopicPartition partition, final String store, final long totalRestored) {
        final Map<Integer, long[]> ofStore = restoring.get(store);
        if (ofStore != null) {
            ofStore.remove(partition.partition());
        }
        final long started = restoreStartedNanos.get();
        if (started != 0 && restoring.values().stream().allMatch(Map::isEmpty) && restoreStartedNanos.compareAndSet(started, 0)) {
            final long records = restoredSinceStart.sumThenReset();
            final double seconds = (System.nanoTime() - started) / 1e9;
            if (records > 0) {
                LOG.info("Restored {} records from changelogs in {} s ({} records/s); nothing is restoring now", records,
                        String.format("%.1f", seconds), Math.round(records / Math.max(seconds, 1e-3)));
            }
        }
    }
}
