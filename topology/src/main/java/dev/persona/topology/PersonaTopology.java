package dev.persona.topology;

import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.config.SourceConfig;
import dev.persona.config.SyncConfig;
import dev.persona.topology.internals.DeadLetteringProcessor;
import dev.persona.topology.internals.DeadLetters;
import dev.persona.topology.internals.IndexChange;
import dev.persona.topology.internals.IndexProcessor;
import dev.persona.topology.internals.MergeProcessor;
import dev.persona.topology.internals.NestAggregator;
import dev.persona.topology.internals.NestChange;
import dev.persona.topology.internals.NestOp;
import dev.persona.topology.internals.NestRouter;
import dev.persona.topology.internals.RecordMerger;
import dev.persona.topology.internals.RowMapper;
import dev.persona.topology.internals.CollectionChange;
import dev.persona.topology.internals.ConcurrentReadStores;
import dev.persona.topology.internals.PurgeRequest;
import dev.persona.topology.internals.SyncChange;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The merge topology: for each collection, every sync's rows are read (bad ones to the dead-letter topic),
 * mapped, and merged by field ownership into one changelogged RocksDB store, {@link TopicNames#recordStore}.
 * Changes of indexed fields feed the collection's index store, {@link TopicNames#indexStore}.
 * <p>
 * Rows of Persona's own sync topics are keyed and partitioned by the collection already. Rows of a {@code topic}
 * source are re-keyed by their primary-key column and repartitioned into the collection's partition count first,
 * because other teams' producers key and partition as they please.
 * <p>
 * A collection whose {@code partitions} changed (a resize) keeps its own topics (sync topics, purge requests) at the
 * count they were made with: their rows are repartitioned into the new count first, keyed as they are ({@link
 * #resizedOf}), so that the version built beside the running one reads what the running one reads.
 */
public final class PersonaTopology {
    /**
     * A stand-in for a Persona release whose topology differs (one that adds, removes or renames a step): when this
     * system property is set, each merge has one more, no-op, step named after its value, so the topology's
     * description, and so its version, differs as such a release's would. The fault suite's upgrade scenario sets it.
     */
    public static final String REVISION_PROPERTY = "persona.topology.revision";

    private PersonaTopology() {
    }

    /** Adds the topology of every collection in {@code config} to {@code builder}. */
    public static void build(final StreamsBuilder builder, final PersonaConfig config) {
        build(builder, config, new LiveStores());
    }

    /**
     * Adds the topology, its processors registering the store partitions they run in {@code live}.
     */
    public static void build(final StreamsBuilder builder, final PersonaConfig config, final LiveStores live) {
        build(builder, config, live, Map.of());
    }

    /**
     * Adds the topology, reading Persona's own topics whose partition count differs from their collection's through a
     * repartition topic of the collection's count.
     *
     * @param topicPartitions the partition count of each of Persona's own topics as Kafka has it; a topic missing here
     *                        has its collection's
     */
    public static void build(final StreamsBuilder builder, final PersonaConfig config, final LiveStores live,
                             final Map<String, Integer> topicPartitions) {
        final TopicNames names = new TopicNames(config.kafka());
        final Map<String, KStream<byte[], byte[]>> sources = new HashMap<>();
        for (final CollectionConfig collection : config.collections()) {
            final List<SyncConfig> syncs = config.syncsOf(collection.name());
            if (syncs.isEmpty()) {
                continue;
            }
            final String store = TopicNames.recordStore(collection);
            builder.addStateStore(Stores.keyValueStoreBuilder(ConcurrentReadStores.persistent(store), Serdes.String(), Serdes.ByteArray()));
            // Purge requests, keyed and partitioned as the collection; their tombstones (written once a purge is applied) are no request.
            final String purgeTopic = names.purges(collection.name());
            KStream<String, byte[]> purgeRequests = builder.stream(purgeTopic, Consumed.with(Serdes.String(), Serdes.ByteArray())
                            .withName("source-" + purgeTopic))
                    .filter((key, value) -> key != null && value != null, Named.as(collection.name() + "-purge-requests"));
            if (resized(topicPartitions, purgeTopic, collection)) {
                purgeRequests = purgeRequests.repartition(Repartitioned.with(Serdes.String(), Serdes.ByteArray())
                        .withName(resizedOf(collection.name(), "purge-requests")).withNumberOfPartitions(collection.partitions()));
            }
            KStream<String, CollectionChange> changes = null;
            for (final SyncConfig sync : syncs) {
                KStream<byte[], byte[]> source = sources.computeIfAbsent(names.sourceTopic(sync),
                        topic -> builder.stream(topic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("source-" + topic)));
                if (sync.source().runByOneInstance() && resized(topicPartitions, names.sourceTopic(sync), collection)) {
                    // Keyed by primary key already: only spread over the collection's partitions anew.
                    source = source.repartition(Repartitioned.with(Serdes.ByteArray(), Serdes.ByteArray())
                            .withName(resizedOf(collection.name(), sync.id())).withNumberOfPartitions(collection.partitions()));
                }
                if (!sync.source().runByOneInstance()) {
                    // What a resync reads again from the topic's start comes through the sync's replay topic.
                    final String replay = names.replay(sync);
                    source = source.merge(builder.stream(replay, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("source-" + replay)),
                            Named.as(collection.name() + "-" + sync.id() + "-replay"));
                }
                final KStream<String, SyncChange> syncChanges = sync.nest().isPresent()
                        ? nested(builder, changes(source, collection, sync, names.deadLetterTopic(collection.name()), config.kafka().maxRecordBytes(),
                                (mapper, row, ts, headers) -> mapper.mapNested(row, ts)), purgeRequests, collection, sync,
                                names.ownTopic(sync), config.kafka().maxRecordBytes())
                        : changes(source, collection, sync, names.deadLetterTopic(collection.name()), config.kafka().maxRecordBytes(),
                                (mapper, row, ts, headers) -> Replays.mark(mapper.map(row, ts), headers));
                changes = changes == null ? widen(syncChanges) : changes.merge(widen(syncChanges), Named.as(collection.name() + "-" + sync.id() + "-join"));
            }
            final String purgeStore = TopicNames.purgeStore(collection.name());
            builder.addStateStore(Stores.keyValueStoreBuilder(ConcurrentReadStores.persistent(purgeStore), Serdes.String(), Serdes.ByteArray()));
            changes = changes.merge(purgeRequests
                    .mapValues((key, value) -> (CollectionChange) new PurgeRequest(System.currentTimeMillis()), Named.as(collection.name() + "-purge")),
                    Named.as(collection.name() + "-purge-join"));
            final String revision = System.getProperty(REVISION_PROPERTY);
            if (revision != null) {
                changes = changes.peek((key, change) -> { }, Named.as(collection.name() + "-revision-" + revision));
            }
            final RecordMerger merger = new RecordMerger(collection, syncs);
            final int maxRecordBytes = config.kafka().maxRecordBytes();
            final KStream<String, IndexChange> indexChanges = DeadLetters.route(
                    changes.process(() -> new MergeProcessor(store, purgeStore, merger, collection, live, maxRecordBytes),
                            Named.as(collection.name() + "-merge"), store, purgeStore),
                    names.deadLetterTopic(collection.name()), names.runSamples(), collection.name() + "-merge");
            if (!collection.secondaryIndices().isEmpty()) {
                // Index entries live with the index value, not the record: repartitioned by value.
                final String index = TopicNames.indexStore(collection.name());
                builder.addStateStore(Stores.keyValueStoreBuilder(ConcurrentReadStores.persistent(index), Serdes.String(), Serdes.ByteArray()));
                indexChanges.repartition(Repartitioned.with(Serdes.String(), IndexChange.serde())
                                .withName(indexChangesOf(collection.name())).withNumberOfPartitions(collection.partitions()))
                        .process(() -> new IndexProcessor(index, collection.name(), collection.maxIndexClaims(), live),
                                Named.as(collection.name() + "-index"), index);
            }
        }
    }

    /**
     * The partition count of every store and repartition topic the topology of {@code config} may have, by name
     * (stores as {@link TopicNames} names them, repartition topics without the application id): its collection's.
     */
    public static Map<String, Integer> partitionCounts(final PersonaConfig config) {
        final Map<String, Integer> counts = new HashMap<>();
        for (final CollectionConfig collection : config.collections()) {
            final int partitions = collection.partitions();
            counts.put(TopicNames.recordStore(collection), partitions);
            counts.put(TopicNames.purgeStore(collection.name()), partitions);
            counts.put(TopicNames.indexStore(collection.name()), partitions);
            counts.put(indexChangesOf(collection.name()) + REPARTITION, partitions);
            counts.put(resizedOf(collection.name(), "purge-requests") + REPARTITION, partitions);
            for (final SyncConfig sync : config.syncsOf(collection.name())) {
                counts.put(repartitionOf(sync), partitions);
                counts.put(resizedOf(collection.name(), sync.id()) + REPARTITION, partitions);
                counts.put(nestByParentOf(collection.name(), sync.id()) + REPARTITION, partitions);
                counts.put(TopicNames.nestStore(collection.name(), sync.id()), partitions);
                counts.put(TopicNames.nestParentsStore(collection.name(), sync.id()), partitions);
            }
        }
        return counts;
    }

    /**
     * The collections whose own topics are read through a repartition step, with their partition count, as
     * {@code name=count} in name order ({@code ""} when none is resized): what a topology's description leaves out
     * (it names the steps, not their counts), and so what tells two resizes of one collection apart.
     */
    public static String resized(final PersonaConfig config, final Map<String, Integer> topicPartitions) {
        final TopicNames names = new TopicNames(config.kafka());
        final java.util.TreeMap<String, Integer> resized = new java.util.TreeMap<>();
        for (final CollectionConfig collection : config.collections()) {
            boolean any = resized(topicPartitions, names.purges(collection.name()), collection);
            for (final SyncConfig sync : config.syncsOf(collection.name())) {
                any |= sync.source().runByOneInstance() && resized(topicPartitions, names.sourceTopic(sync), collection);
            }
            if (any) {
                resized.put(collection.name(), collection.partitions());
            }
        }
        final StringBuilder text = new StringBuilder();
        resized.forEach((name, count) -> text.append(text.isEmpty() ? "" : ",").append(name).append('=').append(count));
        return text.toString();
    }

    /** What Kafka Streams appends to a repartition step's name to name its topic. */
    private static final String REPARTITION = "-repartition";

    /** The repartition step that sends a collection's index claims and releases to the index entries' partitions. */
    private static String indexChangesOf(final String collection) {
        return collection + "-index-changes";
    }

    /** The repartition step that sends a nested sync's children to their parents' partitions. */
    private static String nestByParentOf(final String collection, final String sync) {
        return collection + "-" + sync + "-nest-by-parent";
    }

    private static boolean resized(final Map<String, Integer> topicPartitions, final String topic, final CollectionConfig collection) {
        final Integer actual = topicPartitions.get(topic);
        return actual != null && actual != collection.partitions();
    }

    /**
     * The name of the repartition step (without the application id and {@code -repartition}) that spreads one of a
     * resized collection's own topics ({@code what}: a sync id, or {@code purge-requests}) over its new partition count.
     */
    public static String resizedOf(final String collection, final String what) {
        return collection + "-" + what + "-resized";
    }

    /**
     * The repartition topic (without the application id) that keys a topic sync's rows by primary key, unless the
     * sync is copartitioned.
     */
    public static String repartitionOf(final SyncConfig sync) {
        return sync.collection() + "-" + sync.id() + "-by-key-repartition";
    }

    /** What a sync makes of one read row: a change of its record, or of a parent's array. */
    @FunctionalInterface
    private interface RowMapping<V> {
        V apply(RowMapper mapper, ChangeRow row, long ts, org.apache.kafka.common.header.Headers headers);
    }

    /**
     * A nested sync's child rows, routed to their parents (a store remembers each child's parent, so that a move or a
     * delete reaches the right one), repartitioned by parent, and folded into each parent's array. A parent's purge
     * reaches its array too: the children's rows in {@code purgedTopic} (Persona's topic of the sync's rows) get
     * tombstones.
     */
    private static KStream<String, SyncChange> nested(final StreamsBuilder builder, final KStream<String, NestChange> children,
                                                      final KStream<String, byte[]> purgeRequests, final CollectionConfig collection,
                                                      final SyncConfig sync, final String purgedTopic, final int maxRecordBytes) {
        final String name = collection.name() + "-" + sync.id();
        final String parents = TopicNames.nestParentsStore(collection.name(), sync.id());
        final String arrays = TopicNames.nestStore(collection.name(), sync.id());
        builder.addStateStore(Stores.keyValueStoreBuilder(ConcurrentReadStores.persistent(parents), Serdes.String(), Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(ConcurrentReadStores.persistent(arrays), Serdes.String(), Serdes.ByteArray()));
        final Map<String, KStream<String, SyncChange>> out = children.process(() -> new NestRouter(parents), Named.as(name + "-nest-route"), parents)
                .repartition(Repartitioned.with(Serdes.String(), NestOp.serde()).withName(nestByParentOf(collection.name(), sync.id()))
                        .withNumberOfPartitions(collection.partitions()))
                .merge(purgeRequests.mapValues((key, value) -> NestOp.purgeOf(System.currentTimeMillis()), Named.as(name + "-nest-purge")),
                        Named.as(name + "-nest-purge-join"))
                .process(() -> new NestAggregator(arrays, sync, maxRecordBytes), Named.as(name + "-nest"), arrays)
                .split(Named.as(name + "-nest-purged-"))
                .branch((key, value) -> value == null, Branched.as("yes"))
                .defaultBranch(Branched.as("no"));
        out.get(name + "-nest-purged-yes").mapValues(value -> (byte[]) null, Named.as(name + "-nest-purge-tombstones"))
                .to(purgedTopic, Produced.with(Serdes.String(), Serdes.ByteArray()).withName(name + "-nest-purged-rows"));
        return out.get(name + "-nest-purged-no");
    }

    private static <V> KStream<String, V> changes(final KStream<byte[], byte[]> source, final CollectionConfig collection,
                                                  final SyncConfig sync, final String deadLetters, final int maxRecordBytes,
                                                  final RowMapping<V> mapping) {
        final String name = collection.name() + "-" + sync.id();
        // Rows Persona's own ingest wrote come enveloped and keyed by primary key; another team's topic is parsed here.
        return sync.source().on(
                cdc -> enveloped(source, name, sync, deadLetters, maxRecordBytes, mapping),
                query -> enveloped(source, name, sync, deadLetters, maxRecordBytes, mapping),
                topic -> topic.copartitioned()
                        ? inPlace(source, name, collection, sync, topic, deadLetters, maxRecordBytes, mapping)
                        : enveloped(repartitioned(source, name, collection, sync, topic, deadLetters, maxRecordBytes), name, sync, deadLetters,
                                maxRecordBytes, mapping));
    }

    /** A topic keyed and partitioned as the collection is: read in place, each row checked for where it arrived. */
    private static <V> KStream<String, V> inPlace(final KStream<byte[], byte[]> source, final String name, final CollectionConfig collection,
                                                  final SyncConfig sync, final SourceConfig.Topic topic, final String deadLetters,
                                                  final int maxRecordBytes, final RowMapping<V> mapping) {
        final ChangeRowParser parser = ChangeRowParser.of(topic.format(), sync.primaryKey());
        return DeadLetters.route(source.process(() -> {
            final RowMapper mapper = new RowMapper(sync);
            return new DeadLetteringProcessor<String, V>(sync.id(), (key, value, ts, partition, headers) -> parser.parse(key, value)
                    .map(row -> KeyValue.pair(placed(row.key(), partition, collection, topic), mapping.apply(mapper, row, ts, headers))),
                    maxRecordBytes);
        }, Named.as(name + "-read")), deadLetters, name + "-read");
    }

    /** Another team's topic, keyed and partitioned as it likes: parsed, enveloped and repartitioned by primary key. */
    private static KStream<byte[], byte[]> repartitioned(final KStream<byte[], byte[]> source, final String name, final CollectionConfig collection,
                                                         final SyncConfig sync, final SourceConfig.Topic topic, final String deadLetters,
                                                         final int maxRecordBytes) {
        final ChangeRowParser parser = ChangeRowParser.of(topic.format(), sync.primaryKey());
        return DeadLetters.route(source.process(() -> new DeadLetteringProcessor<byte[], byte[]>(sync.id(),
                        (key, value, ts, partition, headers) -> parser.parse(key, value)
                                .map(row -> KeyValue.pair(row.key().getBytes(StandardCharsets.UTF_8), fitting(ChangeRowEnvelope.toBytes(row), maxRecordBytes))),
                        maxRecordBytes),
                Named.as(name + "-parse")), deadLetters, name + "-parse")
                .repartition(Repartitioned.with(Serdes.ByteArray(), Serdes.ByteArray())
                        .withName(name + "-by-key").withNumberOfPartitions(collection.partitions()));
    }

    /** Enveloped rows keyed by primary key: read and mapped. */
    private static <V> KStream<String, V> enveloped(final KStream<byte[], byte[]> keyed, final String name, final SyncConfig sync,
                                                    final String deadLetters, final int maxRecordBytes, final RowMapping<V> mapping) {
        final ChangeRowParser envelope = ChangeRowParser.envelope(sync.primaryKey());
        // One mapper per task: compiled Liquid templates are not shared between stream threads.
        return DeadLetters.route(keyed.process(() -> {
            final RowMapper mapper = new RowMapper(sync);
            return new DeadLetteringProcessor<String, V>(sync.id(),
                    (key, value, ts, partition, headers) -> envelope.parse(key, value)
                            .map(row -> KeyValue.pair(row.key(), mapping.apply(mapper, row, ts, headers))), maxRecordBytes);
        }, Named.as(name + "-read")), deadLetters, name + "-read");
    }

    /**
     * A row's envelope, on its way to the repartition topic, when it fits there.
     *
     * @throws MalformedRowException when it is larger than records may be: the repartition producer would fail on it
     */
    private static byte[] fitting(final byte[] envelope, final int maxRecordBytes) {
        if (envelope != null && envelope.length > maxRecordBytes) {
            throw new MalformedRowException("the row is " + envelope.length + " bytes, above kafka.maxRecordBytes (" + maxRecordBytes
                    + "): it could not be repartitioned nor stored. Fix: produce smaller rows, or raise kafka.maxRecordBytes together with "
                    + "the producer's max.request.size and the topics' max.message.bytes");
        }
        return envelope;
    }

    /**
     * The key of a row read from a copartitioned topic, when it arrived in the partition the collection keeps
     * it in.
     *
     * @throws MalformedRowException when it arrived elsewhere: the producer keyed or partitioned it differently
     */
    private static String placed(final String key, final int partition, final CollectionConfig collection, final SourceConfig.Topic topic) {
        final int expected = KeyPartitions.of(key, collection.partitions());
        if (partition >= 0 && partition != expected) {
            throw new MalformedRowException("the row with primary key '" + key + "' arrived in partition " + partition + " of copartitioned topic '"
                    + topic.topic() + "', but collection '" + collection.name() + "' keeps it in partition " + expected
                    + ": produce it keyed by its primary key (UTF-8) with Kafka's default partitioner, or drop 'copartitioned'");
        }
        return key;
    }

    /** A stream of syncs' changes as what a merge takes: a stream only hands its values out, so the cast is safe. */
    @SuppressWarnings("unchecked")
    private static KStream<String, CollectionChange> widen(final KStream<String, ? extends CollectionChange> changes) {
        return (KStream<String, CollectionChange>) changes;
    }
}
