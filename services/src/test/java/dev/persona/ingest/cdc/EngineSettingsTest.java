package dev.persona.ingest.cdc;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.config.SourceConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** How a CDC sync's configuration becomes Debezium's engine properties, with no database and no broker. */
class EngineSettingsTest {
    private static PersonaConfig config(final String connection, final String table) {
        return ConfigLoader.withEnvironment(Map.of()).parse(Path.of("cdc.yaml"), """
                kafka: { applicationId: shop, topicPrefix: shop, properties: { security.protocol: SSL } }
                collections: [ { name: people, primaryIndex: id, partitions: 2 } ]
                syncs:
                  - { id: Profiles, collection: people, primaryKey: id, mapping: [ { from: name } ],
                      source: { type: cdc, connection: "%s", table: %s } }
                """.formatted(connection, table));
    }

    private static Properties properties(final String connection) {
        return properties(connection, "public.profiles");
    }

    private static Properties properties(final String connection, final String table) {
        final PersonaConfig config = config(connection, table);
        return EngineSettings.of(config, config.syncs().get(0), (SourceConfig.Cdc) config.syncs().get(0).source(),
                Map.of("bootstrap.servers", "kafka:9092"));
    }

    @Test
    void shouldMapTheJdbcUrlTheSyncAndTheKafkaSettingsToDebeziumsProperties() {
        final Properties props = properties("jdbc:postgresql://db.example.com:6543/app?user=persona&password=secret");
        assertEquals("db.example.com", props.get("database.hostname"));
        assertEquals("6543", props.get("database.port"));
        assertEquals("app", props.get("database.dbname"));
        assertEquals("persona", props.get("database.user"));
        assertEquals("secret", props.get("database.password"));
        assertEquals("public.profiles", props.get("table.include.list"));
        assertEquals("\\Qpublic.profiles\\E\\.\\Qid\\E,\\Qpublic.profiles\\E\\.\\Qname\\E", props.get("column.include.list"),
                "only the columns the sync reads (its key, its mapping) are captured");
        assertEquals("persona_profiles", props.get("slot.name"), "slot and publication are named from the sync id, lower case");
        assertEquals("persona_profiles", props.get("publication.name"));
        assertEquals("pgoutput", props.get("plugin.name"));
        assertEquals("shop.cdc-offsets", props.get("offset.storage.topic"));
        assertEquals("kafka:9092", props.get("bootstrap.servers"));
        assertEquals("SSL", props.get("security.protocol"), "kafka.properties reach Debezium's offset store too");
        assertEquals("none", props.get("skipped.operations"), "a TRUNCATE must reach Persona, not be skipped");
        assertEquals("shop-cdc-Profiles", props.get("name"));
    }

    @Test
    void shouldDefaultToPostgresDefaultsAndRefuseAUrlThatIsNotPostgres() {
        final Properties props = properties("jdbc:postgresql:///app");
        assertEquals("localhost", props.get("database.hostname"));
        assertEquals("5432", props.get("database.port"));
        assertThrows(dev.persona.config.ConfigException.class, () -> properties("jdbc:sqlserver://db;databaseName=app"),
                "a database CDC cannot capture is refused with the configuration");
    }

    @Test
    void shouldReadAMySqlTableThroughTheMySqlConnectorWithItsSchemaHistoryInKafka() {
        final Properties props = properties("jdbc:mysql://cdc:secret@db:3307/shop");
        assertEquals("io.debezium.connector.mysql.MySqlConnector", props.get("connector.class"));
        assertEquals("db", props.get("database.hostname"));
        assertEquals("3307", props.get("database.port"));
        assertEquals("cdc", props.get("database.user"));
        assertEquals("secret", props.get("database.password"));
        assertEquals("io.debezium.storage.kafka.history.KafkaSchemaHistory", props.get("schema.history.internal"));
        assertEquals("in-process", props.get("signal.enabled.channels"));
        assertEquals(BinlogJdbcDriver.class.getName(), props.get("database.jdbc.driver"), "MariaDB's binary log status needs its name");
        assertEquals("true", props.get("schema.history.internal.skip.unparseable.ddl"), "a MariaDB-only type elsewhere must not stop capture");
        assertEquals("5000", props.get("connect.keep.alive.interval.ms"), "a restarted server is reconnected within seconds");
    }

    @Test
    void shouldReadAMariaDbTableThroughTheSameConnector() {
        final Properties props = properties("jdbc:mariadb://db/shop?user=cdc&password=secret");
        assertEquals("io.debezium.connector.mysql.MySqlConnector", props.get("connector.class"));
        assertEquals("3306", props.get("database.port"));
        assertEquals("cdc", props.get("database.user"));
    }

    /**
     * Every setting the engine gets, as this version gives them (engine-*.golden): a setting Debezium renames, or one
     * that changes by accident, shows here before any capture.
     */
    @Test
    void shouldGiveTheEngineExactlyTheSettingsOnRecord() throws java.io.IOException {
        for (final String[] family : new String[][]{{"postgres", "jdbc:postgresql://db.example.com:6543/app?user=persona&password=secret"},
                {"mysql", "jdbc:mysql://cdc:secret@db:3307/shop"}}) {
            final StringBuilder settings = new StringBuilder();
            new java.util.TreeMap<>(properties(family[1], "shop.profiles")).forEach((key, value) -> settings.append(key).append('=').append(value).append('\n'));
            try (java.io.InputStream golden = getClass().getResourceAsStream("/cdc/engine-" + family[0] + ".golden")) {
                assertEquals(new String(golden.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8), settings.toString(), family[0]);
            }
        }
    }
}
