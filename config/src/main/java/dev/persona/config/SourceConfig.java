package dev.persona.config;

import java.util.Optional;
import java.util.function.Function;

/**
 * Where a sync's change rows come from, and what a source of its type can do: whatever depends on the type is
 * decided here ({@link #runByOneInstance}, {@link #hasRuns}, {@link #jdbcUrl}) or in the one switch over the types,
 * {@link #on}.
 */
public sealed interface SourceConfig permits SourceConfig.Cdc, SourceConfig.Query, SourceConfig.Topic {

    /** The {@code type} spelling of this source in the configuration file. */
    String type();

    /**
     * The one switch over source types. Java 17 has no patterns in {@code switch}: each caller names what it does with
     * every type, so a new type of source does not compile until every caller says what it does with it.
     */
    <T> T on(Function<Cdc, T> cdc, Function<Query, T> query, Function<Topic, T> topic);

    /**
     * Whether one instance of the cluster reads it and writes its change rows to the sync's topic (a sync runner: CDC
     * and query syncs), rather than every instance's merge reading another team's topic directly.
     */
    default boolean runByOneInstance() {
        return on(cdc -> true, query -> true, topic -> false);
    }

    /**
     * Whether its reads come as runs that start on request and can be cancelled: a query sync's model runs. CDC and
     * topic syncs read continuously; all three can read everything again (a full resync).
     */
    default boolean hasRuns() {
        return on(cdc -> false, query -> true, topic -> false);
    }

    /** The JDBC URL of the database it reads, if it reads one. */
    default Optional<String> jdbcUrl() {
        return on(cdc -> Optional.of(cdc.connection()), query -> Optional.of(query.connection()), topic -> Optional.empty());
    }

    /**
     * The scheme of a JDBC URL, {@code jdbc:<name>}, which names the database and never holds a secret: what messages
     * about a URL may show of it.
     */
    static String scheme(final String url) {
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(jdbc:[A-Za-z0-9_.+-]+)").matcher(url == null ? "" : url.trim());
        return m.find() ? m.group(1) : "(not a jdbc: URL)";
    }

    /**
     * A table captured by Debezium.
     *
     * @param connection a JDBC URL of the database
     * @param table      {@code schema.table}
     */
    record Cdc(String connection, String table) implements SourceConfig {
        @Override
        public String type() {
            return "cdc";
        }

        @Override
        public <T> T on(final Function<Cdc, T> cdc, final Function<Query, T> query, final Function<Topic, T> topic) {
            return cdc.apply(this);
        }

        /** Whether the capture reads a MySQL binary log (and keeps Debezium's schema history), rather than PostgreSQL's WAL. */
        public boolean readsBinaryLog() {
            return java.util.Set.of("jdbc:mysql", "jdbc:mariadb").contains(scheme(connection));
        }

        /** Whether the capture reads PostgreSQL's write-ahead log through a replication slot (whose lag is reported). */
        public boolean readsWriteAheadLog() {
            return "jdbc:postgresql".equals(scheme(connection));
        }

        /** Whether CDC can capture the database a URL names: PostgreSQL, MySQL, MariaDB. */
        public static boolean captures(final String connection) {
            return java.util.Set.of("jdbc:postgresql", "jdbc:mysql", "jdbc:mariadb").contains(scheme(connection));
        }
    }

    /**
     * A SQL model run on a schedule and diffed against its previous run.
     *
     * @param connection a JDBC URL of the warehouse
     * @param sql        the model
     * @param schedule   {@code every 30s} or a cron expression
     * @param timeout    how long a run may take before it is ended as failed (the model's statement is cancelled)
     */
    record Query(String connection, String sql, String schedule, java.time.Duration timeout) implements SourceConfig {
        /** A run that takes longer than this has hung: 30 minutes. */
        public static final java.time.Duration DEFAULT_TIMEOUT = java.time.Duration.ofMinutes(30);

        /** A query source whose runs time out after {@link #DEFAULT_TIMEOUT}. */
        public Query(final String connection, final String sql, final String schedule) {
            this(connection, sql, schedule, DEFAULT_TIMEOUT);
        }

        @Override
        public String type() {
            return "query";
        }

        @Override
        public <T> T on(final Function<Cdc, T> cdc, final Function<Query, T> query, final Function<Topic, T> topic) {
            return query.apply(this);
        }
    }

    /**
     * A Kafka topic that another team produces to.
     *
     * @param topic         the topic name
     * @param format        how its values are encoded
     * @param copartitioned the topic is keyed by the primary key (UTF-8), partitioned by Kafka's default
     *                      partitioner into the collection's partition count: Persona reads it without repartitioning
     */
    record Topic(String topic, ValueFormat format, boolean copartitioned) implements SourceConfig {
        /** A topic Persona repartitions by primary key (any key, any partition count). */
        public Topic(final String topic, final ValueFormat format) {
            this(topic, format, false);
        }

        @Override
        public String type() {
            return "topic";
        }

        @Override
        public <T> T on(final Function<Cdc, T> cdc, final Function<Query, T> query, final Function<Topic, T> topic) {
            return topic.apply(this);
        }
    }
}
