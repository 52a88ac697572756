package dev.persona.topology;

import dev.persona.config.CollectionConfig;
import dev.persona.config.KafkaSettings;
import dev.persona.config.SourceConfig;
import dev.persona.config.SyncConfig;

/**
 * The names Persona gives its topics and stores. The rule is part of the public contract: teams that produce
 * change rows themselves write to {@link #syncTopic}.
 * <ul>
 *   <li>sync topic: {@code <topicPrefix>.<collection>.<sync>.changes}, with the collection's partition count;</li>
 *   <li>dead letters: {@code <topicPrefix>.<collection>.dead-letters};</li>
 *   <li>record store: {@code records-<collection>}, changelogged to {@code <applicationId>-records-<collection>-changelog};</li>
 *   <li>index store (secondary indices): {@code index-<collection>}, fed by the repartition topic
 *       {@code <applicationId>-<collection>-index-changes-repartition} keyed by index value;</li>
 *   <li>{@code <topicPrefix>.sync-control}: 16 partitions, each CDC or query sync on the one its id hashes to; its consumer group decides which
 *       instance runs which sync, and it carries "run now" requests to that instance;</li>
 *   <li>{@code <topicPrefix>.sync-runs}: run history, compacted, followed by every instance;</li>
 *   <li>{@code <topicPrefix>.<collection>.<sync>.state}: a query sync's previous result (key -> row hash), compacted;</li>
 *   <li>{@code <topicPrefix>.cdc-offsets}: Debezium's source offsets;</li>
 *   <li>{@code <topicPrefix>.api-keys}: API keys (hashes only), compacted, followed by every instance;</li>
 *   <li>{@code <topicPrefix>.<collection>.purges}: purge requests keyed by primary key, with the collection's partition
 *       count, compacted (each request is tombstoned once applied); the purge list lives in the store
 *       {@code purged-<collection>}, keyed by a hash of the primary key;</li>
 *   <li>{@code <topicPrefix>.purge-audit}: who purged which key when, kept forever;</li>
 *   <li>{@code <topicPrefix>.<collection>.<sync>.replay}: a topic sync's rows read again by a resync, for an hour;</li>
 *   <li>{@code <topicPrefix>.sync-samples}: a bounded sample of each run's changes, keyed {@code <run>/<record key>};</li>
 *   <li>{@code <topicPrefix>.topology-versions}: each version of the topology and its application id, compacted. The
 *       first version runs under {@code <applicationId>}, each later one under {@code <applicationId>-<fingerprint>}, so
 *       its changelogs and repartition topics are its own.</li>
 * </ul>
 * Every topic name Persona chooses is made here.
 */
public final class TopicNames {
    private final KafkaSettings settings;

    public TopicNames(final KafkaSettings settings) {
        this.settings = settings;
    }

    /** The topic Persona's own ingest (CDC, query syncs) produces a sync's change rows to. */
    public String syncTopic(final String collection, final String sync) {
        return settings.topicPrefix() + "." + collection + "." + sync + ".changes";
    }

    /** The topic a sync's rows are read from: its own topic for a {@code topic} source, else {@link #syncTopic}. */
    public String sourceTopic(final SyncConfig sync) {
        return sync.source().on(cdc -> syncTopic(sync.collection(), sync.id()), query -> syncTopic(sync.collection(), sync.id()),
                SourceConfig.Topic::topic);
    }

    /**
     * The topic of a sync's rows that Persona writes and may therefore erase a key from: {@link #syncTopic} for the
     * syncs it runs, {@link #replay} for a topic sync (whose own topic is another team's).
     */
    public String ownTopic(final SyncConfig sync) {
        return sync.source().runByOneInstance() ? syncTopic(sync.collection(), sync.id()) : replay(sync);
    }

    /** Where rows that cannot be parsed or mapped go, with the reason in headers. */
    public String deadLetterTopic(final String collection) {
        return settings.topicPrefix() + "." + collection + ".dead-letters";
    }

    /** Where ingest's instances share out the CDC and query syncs, and send run requests. */
    public String control() {
        return settings.topicPrefix() + ".sync-control";
    }

    /** The run history of every sync. */
    public String runs() {
        return settings.topicPrefix() + ".sync-runs";
    }

    /** A query sync's previous result. */
    public String state(final SyncConfig sync) {
        return settings.topicPrefix() + "." + sync.collection() + "." + sync.id() + ".state";
    }

    /** Debezium's source offsets of every CDC sync. */
    public String cdcOffsets() {
        return settings.topicPrefix() + ".cdc-offsets";
    }

    /** Debezium's history of a MySQL or MariaDB CDC sync's table schema, which its connector needs and creates. */
    public String cdcSchemaHistory(final SyncConfig sync) {
        return settings.topicPrefix() + "." + sync.collection() + "." + sync.id() + ".cdc-schema";
    }

    /** Which topology each running instance runs (compacted, broker-stamped times): see the instance registry. */
    public String instances() {
        return settings.topicPrefix() + ".instances";
    }

    /**
     * The versions of the topology the cluster has built (compacted, keyed by the topology's fingerprint): which Kafka
     * Streams application id each runs under, and whether it is complete.
     */
    public String versions() {
        return settings.topicPrefix() + ".topology-versions";
    }

    /** The API keys. */
    public String apiKeys() {
        return settings.topicPrefix() + ".api-keys";
    }

    /**
     * Where a resync of a topic sync copies its topic's rows, read from the start, marked {@link Replays#HEADER}: the
     * topology reads it beside the sync's topic.
     */
    public String replay(final SyncConfig sync) {
        return settings.topicPrefix() + "." + sync.collection() + "." + sync.id() + ".replay";
    }

    /** Samples of what each sync run's changes did to records, for the run debugger. */
    public String runSamples() {
        return settings.topicPrefix() + ".sync-samples";
    }

    /** Where purge requests of a collection's records go, keyed by primary key. */
    public String purges(final String collection) {
        return settings.topicPrefix() + "." + collection + ".purges";
    }

    /** The record of every purge: who, when, which key; never the record's data. */
    public String purgeAudit() {
        return settings.topicPrefix() + ".purge-audit";
    }

    /** The changelog Kafka Streams keeps for one of this application's stores ({@code <applicationId>-<store>-changelog}). */
    public String changelog(final String store) {
        return settings.applicationId() + "-" + store + "-changelog";
    }

    /** The RocksDB store holding a collection's merged records. */
    public static String recordStore(final CollectionConfig collection) {
        return recordStore(collection.name());
    }

    /** The RocksDB store holding a collection's merged records. */
    public static String recordStore(final String collection) {
        return "records-" + collection;
    }

    /** The RocksDB store holding a collection's purge list: hash of a purged primary key -> syncs that still hold it. */
    public static String purgeStore(final String collection) {
        return "purged-" + collection;
    }

    /** The RocksDB store holding a collection's secondary indices: {@link IndexEntry#key} -> {@link IndexEntry}. */
    public static String indexStore(final String collection) {
        return "index-" + collection;
    }

    /** The RocksDB store holding the arrays a {@code nest:} sync builds: parent key -> its children. */
    public static String nestStore(final String collection, final String sync) {
        return "nest-" + collection + "-" + sync;
    }

    /** The RocksDB store in which a {@code nest:} sync remembers each child's parent (to move or remove it). */
    public static String nestParentsStore(final String collection, final String sync) {
        return "nest-parents-" + collection + "-" + sync;
    }
}
