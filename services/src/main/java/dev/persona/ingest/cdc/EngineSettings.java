package dev.persona.ingest.cdc;

import dev.persona.config.PersonaConfig;
import dev.persona.config.SourceConfig;
import dev.persona.config.SyncConfig;
import dev.persona.topology.TopicNames;
import io.debezium.config.CommonConnectorConfig;
import io.debezium.config.Configuration;
import io.debezium.connector.binlog.BinlogConnectorConfig;
import io.debezium.connector.mysql.MySqlConnector;
import io.debezium.connector.mysql.MySqlConnectorConfig;
import io.debezium.connector.postgresql.PostgresConnector;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.embedded.EmbeddedEngineConfig;
import io.debezium.heartbeat.Heartbeat;
import io.debezium.jdbc.TemporalPrecisionMode;
import io.debezium.relational.HistorizedRelationalDatabaseConnectorConfig;
import io.debezium.relational.RelationalDatabaseConnectorConfig;
import io.debezium.relational.history.SchemaHistory;
import io.debezium.storage.kafka.history.KafkaSchemaHistory;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.connect.storage.KafkaOffsetBackingStore;
import org.postgresql.Driver;

import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A CDC sync's configuration as the settings of Debezium's embedded engine, named by Debezium's own {@code Field}
 * constants (a setting Debezium renames fails the build, not a capture), for the two families of databases it reads:
 * PostgreSQL ({@code pgoutput}) and MySQL or MariaDB (the binary log).
 */
final class EngineSettings {
    private EngineSettings() {
    }

    /** Slot and publication name of a PostgreSQL sync, and the prefix of every sync's Debezium topics. */
    static String slotName(final SyncConfig sync) {
        return "persona_" + sync.id().toLowerCase(Locale.ROOT);
    }

    /** The engine's settings for {@code sync}, whose Kafka clients use {@code clientProperties}. */
    static Properties of(final PersonaConfig config, final SyncConfig sync, final SourceConfig.Cdc source, final Map<String, Object> clientProperties) {
        final String bootstrap = String.valueOf(clientProperties.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG));
        final Configuration.Builder settings = source.readsBinaryLog()
                ? binaryLog(config, sync, source, bootstrap) : postgres(sync, source);
        settings.with(EmbeddedEngineConfig.ENGINE_NAME, config.kafka().applicationId() + "-cdc-" + sync.id());
        // Only the columns the sync reads are captured: a column no mapping reads (a password hash, a 2 MB document)
        // never reaches Kafka, nor makes a row too large for it.
        sync.columnsRead().ifPresent(columns -> settings.with(RelationalDatabaseConnectorConfig.COLUMN_INCLUDE_LIST, columns.stream()
                .map(column -> Pattern.quote(source.table()) + "\\." + Pattern.quote(column))
                .collect(Collectors.joining(","))));
        settings.with(CommonConnectorConfig.TOPIC_PREFIX, "persona_" + sync.id());
        // A full resync is an ad-hoc blocking snapshot, signalled through the engine itself: no signal table in the
        // user's database. Streaming pauses while the table is read again, then resumes where it was.
        settings.with(CommonConnectorConfig.SIGNAL_ENABLED_CHANNELS, "in-process");
        // Debezium waits this long for more events before handing a batch over (default 500 ms): most of the
        // commit-to-visible time. 25 ms keeps freshness low; batches still fill up under load.
        settings.with(CommonConnectorConfig.POLL_INTERVAL_MS, 25);
        settings.with(RelationalDatabaseConnectorConfig.DECIMAL_HANDLING_MODE, RelationalDatabaseConnectorConfig.DecimalHandlingMode.DOUBLE);
        settings.with(RelationalDatabaseConnectorConfig.TIME_PRECISION_MODE, TemporalPrecisionMode.CONNECT);
        settings.with(EmbeddedEngineConfig.OFFSET_STORAGE, KafkaOffsetBackingStore.class);
        settings.with(EmbeddedEngineConfig.OFFSET_STORAGE_KAFKA_TOPIC, new TopicNames(config.kafka()).cdcOffsets());
        settings.with(EmbeddedEngineConfig.OFFSET_STORAGE_KAFKA_PARTITIONS, 1);
        // Persona creates the offsets topic, replicated as its other topics, before any engine starts; -1 would
        // mean the broker's default if Debezium ever had to create it.
        settings.with(EmbeddedEngineConfig.OFFSET_STORAGE_KAFKA_REPLICATION_FACTOR, -1);
        settings.with(EmbeddedEngineConfig.OFFSET_FLUSH_INTERVAL_MS, 1000);
        settings.with(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        // Its offset store reaches a secured cluster as every other client does.
        config.kafka().properties().forEach(settings::with);
        return settings.build().asProperties();
    }

    private static Configuration.Builder postgres(final SyncConfig sync, final SourceConfig.Cdc source) {
        final Properties url = Driver.parseURL(source.connection(), new Properties());
        if (url == null) {
            throw new IllegalArgumentException("sync " + sync.id() + ": '" + SourceConfig.scheme(source.connection()) + "' is not a jdbc:postgresql:// URL");
        }
        return Configuration.create()
                .with(EmbeddedEngineConfig.CONNECTOR_CLASS, PostgresConnector.class)
                .with(PostgresConnectorConfig.PLUGIN_NAME, PostgresConnectorConfig.LogicalDecoder.PGOUTPUT)
                .with(PostgresConnectorConfig.SNAPSHOT_MODE, PostgresConnectorConfig.SnapshotMode.INITIAL)
                // The driver leaves host and port empty for jdbc:postgresql:///db; it then means localhost:5432, as psql does.
                .with(RelationalDatabaseConnectorConfig.HOSTNAME, orDefault(url.getProperty("PGHOST"), "localhost"))
                .with(PostgresConnectorConfig.PORT, orDefault(url.getProperty("PGPORT"), "5432"))
                .with(RelationalDatabaseConnectorConfig.DATABASE_NAME, url.getProperty("PGDBNAME", "postgres"))
                .with(RelationalDatabaseConnectorConfig.USER, url.getProperty("user", "postgres"))
                .with(RelationalDatabaseConnectorConfig.PASSWORD, url.getProperty("password", ""))
                .with(RelationalDatabaseConnectorConfig.TABLE_INCLUDE_LIST, source.table())
                .with(PostgresConnectorConfig.SLOT_NAME, slotName(sync))
                .with(PostgresConnectorConfig.PUBLICATION_NAME, slotName(sync))
                .with(PostgresConnectorConfig.PUBLICATION_AUTOCREATE_MODE, PostgresConnectorConfig.AutoCreateMode.FILTERED)
                // Debezium skips TRUNCATE by default; Persona wants to see it, so it is not passed over unnoticed.
                .with(CommonConnectorConfig.SKIPPED_OPERATIONS, "none")
                // Keeps the slot's confirmed LSN moving on quiet tables, so it does not hold WAL forever.
                .with(Heartbeat.HEARTBEAT_INTERVAL, 10_000);
    }

    /**
     * MySQL and MariaDB, through Debezium's MySQL connector (binlog positions, no GTIDs needed). Debezium keeps the
     * captured table's schema history in a topic of its own, {@link TopicNames#cdcSchemaHistory}, which Persona provisions.
     */
    private static Configuration.Builder binaryLog(final PersonaConfig config, final SyncConfig sync, final SourceConfig.Cdc source,
                                                   final String bootstrap) {
        final BinlogUrl url = BinlogUrl.parse(source.connection());
        final int dot = source.table().indexOf('.');
        final Configuration.Builder settings = Configuration.create()
                .with(EmbeddedEngineConfig.CONNECTOR_CLASS, MySqlConnector.class)
                .with(BinlogConnectorConfig.SNAPSHOT_MODE, BinlogConnectorConfig.SnapshotMode.INITIAL)
                // Connector/J, with MariaDB's name for the binary log status (BinlogJdbcDriver says why).
                .with(MySqlConnectorConfig.JDBC_DRIVER, BinlogJdbcDriver.class)
                .with(RelationalDatabaseConnectorConfig.HOSTNAME, url.host())
                .with(BinlogConnectorConfig.PORT, url.port())
                .with(RelationalDatabaseConnectorConfig.USER, url.user())
                .with(RelationalDatabaseConnectorConfig.PASSWORD, url.password())
                // A replica's id, unique among the server's replicas: one per application and sync.
                .with(BinlogConnectorConfig.SERVER_ID, 5_400L + Math.floorMod((config.kafka().applicationId() + "/" + sync.id()).hashCode(), 1_000_000_000))
                .with(RelationalDatabaseConnectorConfig.DATABASE_INCLUDE_LIST, dot > 0 ? source.table().substring(0, dot) : url.database())
                .with(RelationalDatabaseConnectorConfig.TABLE_INCLUDE_LIST, source.table())
                .with(RelationalDatabaseConnectorConfig.INCLUDE_SCHEMA_CHANGES, false)
                .with(HistorizedRelationalDatabaseConnectorConfig.SCHEMA_HISTORY, KafkaSchemaHistory.class)
                .with(KafkaSchemaHistory.TOPIC, new TopicNames(config.kafka()).cdcSchemaHistory(sync))
                .with(KafkaSchemaHistory.BOOTSTRAP_SERVERS, bootstrap)
                .with(SchemaHistory.STORE_ONLY_CAPTURED_TABLES_DDL, true)
                // MySQL's grammar cannot parse MariaDB-only types (uuid, inet6): such a table anywhere in the database would stop
                // capture for good. Skipped on the captured table itself, a statement fails the sync instead (UnparsedDdlWatch).
                .with(SchemaHistory.SKIP_UNPARSEABLE_DDL_STATEMENTS, true)
                .with(Heartbeat.HEARTBEAT_INTERVAL, 10_000)
                // The binary log reader notices a lost connection (the server restarted) and reconnects this often; Debezium's
                // minute left a MariaDB killed -9 in the fault suite uncaptured for 77 s.
                .with(BinlogConnectorConfig.KEEP_ALIVE_INTERVAL_MS, 5_000);
        // Its producer and consumer reach a secured cluster as every other client does.
        config.kafka().properties().forEach((key, value) -> {
            settings.with(SchemaHistory.CONFIGURATION_FIELD_PREFIX_STRING + "producer." + key, value);
            settings.with(SchemaHistory.CONFIGURATION_FIELD_PREFIX_STRING + "consumer." + key, value);
        });
        return settings;
    }

    /** The first of a driver property's comma-separated values, or {@code fallback} when there is none. */
    private static String orDefault(final String value, final String fallback) {
        final String first = value == null ? "" : value.split(",")[0].trim();
        return first.isEmpty() ? fallback : first;
    }
}
