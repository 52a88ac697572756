package dev.persona.config;

/** Where a sync's change rows come from. */
public sealed interface SourceConfig permits SourceConfig.Cdc, SourceConfig.Query, SourceConfig.Topic {

    /** The {@code type} spelling of this source in the configuration file. */
    String type();

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
    }

    /**
     * A SQL model run on a schedule and diffed against its previous run.
     *
     * @param connection a JDBC URL of the warehouse
     * @param sql        the model
     * @param schedule   {@code every 30s} or a cron expression
     */
    record Query(String connection, String sql, String schedule) implements SourceConfig {
        @Override
        public String type() {
            return "query";
        }
    }

    /**
     * A Kafka topic that another team produces to.
     *
     * @param topic  the topic name
     * @param format how its values are encoded
     */
    record Topic(String topic, ValueFormat format) implements SourceConfig {
        @Override
        public String type() {
            return "topic";
        }
    }
}
