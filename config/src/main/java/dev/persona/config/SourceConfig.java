package dev.persona.config;

/** Where a sync's change rows come from. */
public sealed interface SourceConfig permits SourceConfig.Cdc, SourceConfig.Query, SourceConfig.Topic {

    /** The {@code type} spelling of this source in the configuration file. */
    String type();

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

        /** Whether the capture reads a MySQL binary log (and keeps Debezium's schema history), rather than PostgreSQL's WAL. */
        public boolean readsBinaryLog() {
            return java.util.Set.of("jdbc:mysql", "jdbc:mariadb").contains(scheme(connection));
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
    }
}
