package dev.persona.cluster;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Watches this instance's topology version on a thread of its own.
 * <ul>
 *   <li>While the version builds: once Streams runs and nothing restores here, it notes the end of every topic the
 *       version reads, then waits for the version's consumer group to have committed past all of it (every instance
 *       of the version counts, whichever partitions it holds); then, once per repartition hop a row may take, it
 *       notes the end of the version's repartition topics and waits for the group to pass that too, and records the
 *       version complete. Its instances
 *       answer from then on ({@link #building()} turns false on all of them through the versions topic).</li>
 *   <li>Once it is complete: a version no instance has run for {@link #RETIRE_AFTER} is retired, its changelogs,
 *       repartition topics and consumer group deleted. They hold records, and a purge does not reach a version no
 *       instance runs: retiring it is what keeps {@code kafka.erasureWindow} for them.</li>
 * </ul>
 */
public final class VersionBuild implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VersionBuild.class);
    /**
     * How long no instance may run a version before it is retired: an instance killed without stopping still counts
     * as running for {@link InstanceRegistry#LIVE} after it was last seen, and one that starts counts before its
     * version is chosen; this covers a restart of every instance of a version.
     */
    public static final Duration RETIRE_AFTER = Duration.ofSeconds(30);
    private static final Duration CHECK = Duration.ofSeconds(1);
    private static final Duration REPORT_EVERY = Duration.ofSeconds(15);
    /** Up to how many offsets behind the rest is read, to tell rows from markers and aborted rows. */
    private static final long MARKERS_CHECKED = 10_000;

    private final TopologyVersions versions;
    private final InstanceRegistry registry;
    private final String fingerprint;
    private final Set<String> sourceTopics;
    private final BooleanSupplier caughtUpLocally;
    private final Map<String, Object> clientProperties;
    private final Thread thread;
    /** The end of each input partition noted when the build could first be measured; null until then. */
    private Map<TopicPartition, Long> target;
    /** Which hop the build waits for: 0 for the topics as they were at start, then one per repartition hop. */
    private int round;
    /**
     * The most repartition topics a row crosses on its way to a store: a topic sync's rows are keyed (one), a nested
     * sync's children routed to their parent (two), and either's index values (three).
     */
    private static final int REPARTITION_HOPS = 3;
    /** When each other version was first seen with no instance running it (System.nanoTime()). */
    private final Map<String, Long> unrunSince = new ConcurrentHashMap<>();
    private volatile String progress = "starting";
    private long lastReport;
    /** How far behind the last measure found the group: a group that stays there may be only markers away. */
    private long lastBehind = -1;
    private volatile boolean closed;
    /** Whether this instance's version is complete, as last looked up (another instance may complete it). */
    private volatile boolean complete;

    /**
     * @param sourceTopics    the topics the topology reads that are not its own
     * @param caughtUpLocally whether this instance's Streams run with nothing restoring
     */
    public VersionBuild(final TopologyVersions versions, final InstanceRegistry registry, final String fingerprint, final Set<String> sourceTopics,
                        final BooleanSupplier caughtUpLocally, final Map<String, Object> clientProperties) {
        this.versions = versions;
        this.registry = registry;
        this.fingerprint = fingerprint;
        this.sourceTopics = Set.copyOf(sourceTopics);
        this.caughtUpLocally = caughtUpLocally;
        this.clientProperties = clientProperties;
        this.thread = new Thread(this::run, "persona-version-build");
        this.thread.setDaemon(true);
    }

    public VersionBuild start() {
        complete = versions.get(fingerprint).map(TopologyVersion::complete).orElse(false);
        thread.start();
        return this;
    }

    /** This instance's version as last recorded. */
    public Optional<TopologyVersion> version() {
        return versions.get(fingerprint);
    }

    /**
     * Whether this instance's version is still building: it answers no lookups then. Asked by every lookup, so it reads
     * a field the watching thread refreshes every {@link #CHECK}, not the versions' map.
     */
    public boolean building() {
        return !complete;
    }

    /** Why this instance is not ready yet, while its version builds. */
    public Optional<String> buildingReason() {
        if (!building()) {
            return Optional.empty();
        }
        return Optional.of("topology version " + versions.get(fingerprint).map(TopologyVersion::applicationId).orElse(fingerprint)
                + " is building beside the running one (" + progress + "); this instance answers once it is complete");
    }

    private void run() {
        try (Admin admin = Admin.create(clientProperties)) {
            long lastRetire = 0;
            while (!closed) {
                try {
                    final TopologyVersion mine = versions.get(fingerprint).orElse(null);
                    complete = mine != null && mine.complete();
                    if (mine != null && mine.state() == TopologyVersion.State.BUILDING) {
                        measure(admin, mine);
                    } else if (mine != null && mine.complete() && System.nanoTime() - lastRetire > TimeUnit.SECONDS.toNanos(5)) {
                        lastRetire = System.nanoTime();
                        retireUnrun(admin, mine);
                    }
                } catch (final ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
                    LOG.warn("Cannot check topology versions now ({}); trying again", e.toString());
                }
                Thread.sleep(CHECK.toMillis());
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void measure(final Admin admin, final TopologyVersion mine)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        if (!caughtUpLocally.getAsBoolean()) {
            report("restoring its stores, or scanning them for a change of index or syncs");
            return;
        }
        if (target == null) {
            final Set<String> inputs = new TreeSet<>(sourceTopics);
            inputs.addAll(repartitionTopics(mine));
            target = ends(admin, inputs);
            round = 0;
        }
        final Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(mine.applicationId()).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        long behind = 0;
        final Map<TopicPartition, Long> lagging = new HashMap<>();
        for (final Map.Entry<TopicPartition, Long> end : target.entrySet()) {
            final OffsetAndMetadata at = committed.get(end.getKey());
            final long from = at == null ? 0 : at.offset();
            if (end.getValue() > from) {
                behind += end.getValue() - from;
                lagging.put(end.getKey(), from);
            }
        }
        // Offsets count transaction markers and aborted rows too, which Streams reads past without committing: a
        // partition that gets no row after them would look behind for good. What is left to read decides.
        final boolean stalled = behind == lastBehind;
        lastBehind = behind;
        if (behind > 0 && stalled && behind <= MARKERS_CHECKED && !anyRowBefore(lagging, target)) {
            behind = 0;
        }
        if (behind > 0) {
            report(behind + " rows behind what the topics held when it started" + (round == 0 ? "" : " (hop " + round + ")"));
            return;
        }
        if (round < REPARTITION_HOPS) {
            // What the rows read so far made is in the repartition topics now (under exactly-once, with the offsets that
            // read them): once more for each hop a row may take, wait for what they hold at this moment.
            round++;
            target = ends(admin, repartitionTopics(mine));
            return;
        }
        versions.complete(mine);
        complete = true;
        progress = "complete";
        target = null;
        LOG.info("Topology version {} is complete: its instances answer", mine.applicationId());
    }

    /** Notes how far the build is, and logs it when it changed, at most every {@link #REPORT_EVERY}. */
    private void report(final String now) {
        final boolean changed = !now.equals(progress);
        progress = now;
        if (changed && System.nanoTime() - lastReport > REPORT_EVERY.toNanos()) {
            lastReport = System.nanoTime();
            LOG.info("Topology version {} builds: {}", fingerprint, now);
        }
    }

    /**
     * Whether a committed row is left between each partition's committed offset and its noted end, as a read_committed
     * consumer sees them: markers and aborted rows are read past, not returned.
     */
    private boolean anyRowBefore(final Map<TopicPartition, Long> from, final Map<TopicPartition, Long> ends) {
        final Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "persona-version-build");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(from.keySet());
            from.forEach(consumer::seek);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            final Set<TopicPartition> left = new java.util.HashSet<>(from.keySet());
            while (!left.isEmpty()) {
                for (final var record : consumer.poll(Duration.ofMillis(200))) {
                    final TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                    if (record.offset() < ends.get(partition)) {
                        return true;
                    }
                }
                left.removeIf(partition -> consumer.position(partition) >= ends.get(partition));
                if (System.nanoTime() > deadline) {
                    return true;
                }
            }
            return false;
        } catch (final RuntimeException e) {
            LOG.debug("Cannot read what is left of the topics; counting offsets", e);
            return true;
        }
    }

    private static Set<String> repartitionTopics(final TopologyVersion mine) {
        final Set<String> topics = new TreeSet<>();
        mine.repartitions().forEach(name -> topics.add(mine.applicationId() + "-" + name));
        return topics;
    }

    /** The last stable offset of every partition of {@code topics} (those that exist). */
    private static Map<TopicPartition, Long> ends(final Admin admin, final Set<String> topics)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        final Set<String> existing = new TreeSet<>(topics);
        existing.retainAll(admin.listTopics().names().get(30, TimeUnit.SECONDS));
        final Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
        for (final TopicDescription topic : admin.describeTopics(existing).allTopicNames().get(30, TimeUnit.SECONDS).values()) {
            topic.partitions().forEach(p -> ends.put(new TopicPartition(topic.name(), p.partition()), OffsetSpec.latest()));
        }
        final Map<TopicPartition, Long> noted = new HashMap<>();
        admin.listOffsets(ends, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(30, TimeUnit.SECONDS)
                .forEach((partition, info) -> noted.put(partition, info.offset()));
        return noted;
    }

    /** Retires every other version that no instance has run for {@link #RETIRE_AFTER}. */
    private void retireUnrun(final Admin admin, final TopologyVersion mine)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        final Set<String> running = registry.liveFingerprints();
        final long now = System.nanoTime();
        for (final TopologyVersion other : versions.all().values()) {
            if (other.retired() || other.fingerprint().equals(mine.fingerprint()) || running.contains(other.fingerprint())) {
                unrunSince.remove(other.fingerprint());
                continue;
            }
            final long since = unrunSince.computeIfAbsent(other.fingerprint(), f -> now);
            if (now - since >= RETIRE_AFTER.toNanos()) {
                retire(admin, other);
                unrunSince.remove(other.fingerprint());
            }
        }
    }

    private void retire(final Admin admin, final TopologyVersion old)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        final Set<String> others = new TreeSet<>();
        versions.all().values().stream().filter(v -> !v.fingerprint().equals(old.fingerprint())).forEach(v -> others.add(v.applicationId() + "-"));
        final Set<String> doomed = new TreeSet<>(old.internalTopics());
        // A version recorded before versions listed their topics: its topics by name, not another version's.
        for (final String topic : admin.listTopics().names().get(30, TimeUnit.SECONDS)) {
            if (topic.startsWith(old.applicationId() + "-") && (topic.endsWith("-changelog") || topic.endsWith("-repartition"))
                    && others.stream().noneMatch(prefix -> prefix.length() > old.applicationId().length() + 1 && topic.startsWith(prefix))) {
                doomed.add(topic);
            }
        }
        try {
            admin.deleteConsumerGroups(Set.of(old.applicationId())).all().get(30, TimeUnit.SECONDS);
        } catch (final ExecutionException e) {
            if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                // Members linger until their session times out: tried again on the next pass.
                LOG.info("Topology version {}: its consumer group is not deletable yet ({})", old.applicationId(), e.getCause().toString());
                return;
            }
        }
        try {
            admin.deleteTopics(doomed).all().get(30, TimeUnit.SECONDS);
        } catch (final ExecutionException e) {
            if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                throw e;
            }
        }
        versions.retire(old);
        LOG.info("Retired topology version {} ({}), which no instance runs: deleted {} topics and its consumer group", old.applicationId(),
                old.fingerprint(), doomed.size());
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
