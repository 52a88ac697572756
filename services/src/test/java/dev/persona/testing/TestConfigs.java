package dev.persona.testing;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.topology.ChangeRow;
import dev.persona.topology.ChangeRowEnvelope;
import dev.persona.topology.Json;
import dev.persona.topology.TopicNames;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/** The customers configuration the API tests share, with each test class's own application id and topics. */
public final class TestConfigs {
    private TestConfigs() {
    }

    public static PersonaConfig customers(final String bootstrapServers, final String app) {
        return ConfigLoader.withEnvironment(Map.of()).parse(Path.of(app + ".yaml"), customersYaml(bootstrapServers, app));
    }

    /** The YAML of {@link #customers}, for instances started as separate processes. */
    public static String customersYaml(final String bootstrapServers, final String app) {
        return """
                kafka:
                  bootstrapServers: %1$s
                  applicationId: %2$s
                  topicPrefix: %3$s
                collections:
                  - name: customers
                    primaryIndex: user_id
                    secondaryIndices: [email]
                    partitions: 4
                  - name: products
                    primaryIndex: sku
                    partitions: 2
                destinations:
                  - id: demo
                    collections: [customers]
                syncs:
                  - id: profiles
                    collection: customers
                    source: { type: topic, topic: %3$s.profiles }
                    primaryKey: id
                    mapping:
                      - { from: name, to: full_name }
                      - { from: email }
                      - { template: "{{ ltv | round: 2 }}", to: lifetime_value }
                      - { from: summary, to: 90_day_summary }
                    onDelete: delete_record
                  - id: usage
                    collection: customers
                    source: { type: topic, topic: %3$s.usage }
                    primaryKey: user_id
                    mapping: [ { from: num_messages_sent }, { from: last_login_at } ]
                  - id: catalog
                    collection: products
                    source: { type: topic, topic: %3$s.catalog }
                    primaryKey: sku
                    mapping: [ { from: title } ]
                """.formatted(bootstrapServers, app, app);
    }

    /** A DuckDB warehouse with a table {@code plans (user_id varchar, plan varchar)} holding {@code values}. */
    public static DuckDb plansWarehouse(final Path file, final String values) {
        final DuckDb warehouse = new DuckDb(file);
        warehouse.execute("create table plans (user_id varchar, plan varchar)", "insert into plans values " + values);
        return warehouse;
    }

    /** A query sync {@code plans} over {@link #plansWarehouse}, owning {@code plan} of customers: append it to {@link #customersYaml}. */
    public static String plansSync(final DuckDb warehouse, final String schedule) {
        return """
                  - id: plans
                    collection: customers
                    source: { type: query, connection: "%s", sql: "select user_id, plan from plans", schedule: %s }
                    primaryKey: user_id
                    mapping: [ { from: plan } ]
                    onDelete: clear_fields
                """.formatted(warehouse.url(), schedule);
    }

    /** Produces one change row in the envelope to a sync's source topic. */
    public static void produce(final KafkaProducer<String, byte[]> producer, final PersonaConfig config, final String collection,
                               final String sync, final String key, final String rowJson) {
        try {
            final ChangeRow row = ChangeRow.upsert(key, (com.fasterxml.jackson.databind.node.ObjectNode) Json.mapper().readTree(rowJson), null, null);
            producer.send(new ProducerRecord<>(new TopicNames(config.kafka()).sourceTopic(config.sync(sync).orElseThrow()), key, ChangeRowEnvelope.toBytes(row)));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
