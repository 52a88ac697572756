package dev.persona.runtime;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.config.PersonaConfig;
import dev.persona.topology.ChangeRow;
import dev.persona.topology.ChangeRowEnvelope;
import dev.persona.topology.Json;
import dev.persona.topology.TopicNames;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The demo's configuration and sample data: customers whose profile fields and usage fields come from two syncs.
 * Customer 1 is the Hightouch page's Jane Doe. The same seed gives the same customers on every run.
 */
public final class DemoData {
    private static final List<String> FIRST = List.of("Jane", "John", "Ada", "Grace", "Alan", "Linus", "Maya", "Omar", "Lena", "Kai", "Ines", "Yuki");
    private static final List<String> LAST = List.of("Doe", "Smith", "Lovelace", "Hopper", "Turing", "Okafor", "Rossi", "Novak", "Garcia", "Chen");
    private static final List<String> GENRES = List.of("house", "techno", "ambient", "jazz", "hip hop", "indie", "classical", "drum and bass");
    private static final List<String> ARTISTS = List.of("deadmau5", "Marsh", "Enamour", "Aphex Twin", "Bonobo", "Floating Points", "Jon Hopkins", "Four Tet");

    private DemoData() {
    }

    /** The demo configuration file: collection {@code customers}, destination {@code demo}, syncs {@code profiles} and {@code usage}. */
    public static String configYaml(final Path warehouse) {
        return """
                # Written by `persona demo`. Start a second instance of the demo's cluster with:
                #   ./persona serve --config <this file> --bootstrap-servers <the demo's Kafka bootstrap> --port 8081
                collections:
                  - name: customers
                    primaryIndex: user_id
                    secondaryIndices: [email]
                    partitions: 6
                destinations:
                  - id: demo
                    collections: [customers]
                syncs:
                  - id: profiles
                    collection: customers
                    source:
                      type: query
                      connection: "jdbc:duckdb:%1$s"
                      sql: select id, name, email, ltv, churn_risk, summary from profiles
                      schedule: every 10s
                    primaryKey: id
                    mapping:
                      - { from: name, to: full_name }
                      - { from: email }
                      - { template: "{{ ltv | round: 2 }}", to: lifetime_value }
                      - { from: churn_risk }
                      - { from: summary, to: 90_day_summary }
                    onDelete: delete_record
                  - id: usage
                    collection: customers
                    source:
                      type: query
                      connection: "jdbc:duckdb:%1$s"
                      sql: select user_id, count(*) as num_messages_sent, max(ts) as last_login_at from events group by user_id
                      schedule: every 10s
                    primaryKey: user_id
                    mapping: [ { from: num_messages_sent }, { from: last_login_at } ]
                    onDelete: clear_fields
                """.formatted(warehouse);
    }

    /** Writes the demo configuration under {@code home} and returns its path. */
    public static Path writeConfig(final Path home) {
        final Path dir = home.resolve("demo");
        final Path file = dir.resolve("persona.yaml");
        try {
            Files.createDirectories(dir);
            Files.writeString(file, configYaml(dir.resolve("warehouse.duckdb")));
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write the demo configuration " + file, e);
        }
        return file;
    }

    /**
     * Produces {@code records} customers to the two syncs' topics, as their ingest would.
     *
     * @return the number of change rows produced
     */
    public static int produce(final PersonaConfig config, final String bootstrapServers, final int records) {
        final TopicNames names = new TopicNames(config.kafka());
        final String profiles = names.syncTopic("customers", "profiles");
        final String usage = names.syncTopic("customers", "usage");
        final Random random = new Random(42);
        final long now = System.currentTimeMillis();
        final Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.LINGER_MS_CONFIG, 10);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            for (int id = 1; id <= records; id++) {
                final String key = Integer.toString(id);
                producer.send(new ProducerRecord<>(profiles, key, ChangeRowEnvelope.toBytes(ChangeRow.upsert(key, profile(id, random), null, now))));
                producer.send(new ProducerRecord<>(usage, key, ChangeRowEnvelope.toBytes(ChangeRow.upsert(key, usage(id, random, now), null, now))));
            }
            producer.flush();
        }
        return records * 2;
    }

    static ObjectNode profile(final int id, final Random random) {
        final ObjectNode row = Json.mapper().createObjectNode();
        row.put("id", id);
        final ObjectNode summary = Json.mapper().createObjectNode();
        if (id == 1) {
            row.put("name", "Jane Doe");
            row.put("email", "jane.doe@example.com");
            row.put("ltv", new BigDecimal("1492.184"));
            row.put("churn_risk", new BigDecimal("0.04"));
            summary.put("num_songs_listened", 813);
            summary.set("top_genres", array("house", "techno", "ambient"));
            summary.set("top_artists", array("deadmau5", "Marsh", "Enamour"));
        } else {
            final String first = FIRST.get(random.nextInt(FIRST.size()));
            final String last = LAST.get(random.nextInt(LAST.size()));
            row.put("name", first + " " + last);
            row.put("email", first.toLowerCase() + "." + last.toLowerCase() + id + "@example.com");
            row.put("ltv", BigDecimal.valueOf(random.nextDouble() * 5000).setScale(3, RoundingMode.HALF_UP));
            row.put("churn_risk", BigDecimal.valueOf(random.nextDouble()).setScale(2, RoundingMode.HALF_UP));
            summary.put("num_songs_listened", random.nextInt(2000));
            summary.set("top_genres", array(pick(GENRES, random), pick(GENRES, random), pick(GENRES, random)));
            summary.set("top_artists", array(pick(ARTISTS, random), pick(ARTISTS, random), pick(ARTISTS, random)));
        }
        row.set("summary", summary);
        return row;
    }

    static ObjectNode usage(final int id, final Random random, final long now) {
        final ObjectNode row = Json.mapper().createObjectNode();
        row.put("user_id", id);
        row.put("num_messages_sent", random.nextInt(500));
        row.put("last_login_at", Instant.ofEpochMilli(now - random.nextInt(30 * 24 * 3600) * 1000L).toString());
        return row;
    }

    private static String pick(final List<String> values, final Random random) {
        return values.get(random.nextInt(values.size()));
    }

    private static ArrayNode array(final String... values) {
        final ArrayNode array = Json.mapper().createArrayNode();
        for (final String value : values) {
            array.add(value);
        }
        return array;
    }
}
