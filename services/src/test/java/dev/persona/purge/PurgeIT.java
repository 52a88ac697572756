package dev.persona.purge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.DuckDb;
import dev.persona.testing.EventStream;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import dev.persona.topology.IndexEntry;
import dev.persona.topology.Json;
import dev.persona.topology.KeyPartitions;
import dev.persona.topology.Purges;
import dev.persona.topology.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A GDPR purge on a three-instance cluster, with a query sync (Persona's own topics), a topic sync (another team's
 * topic) and a query sync nested into the record (the person's orders): every lookup answers 404, open change streams get {@code deleted}, a source that still holds the row does
 * not bring it back, and after compaction no topic of Persona's holds any of the person's data, the audit entry
 * included, nor the key but in the query sync's state (key and row hash, while the warehouse holds the row); once
 * the source deletes the row, the sync may add the person again.
 */
class PurgeIT {
    private static final String ADMIN = "purge-admin-key-0123456789";
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final String KEY = "jane-7f3q";
    private static final String EMAIL = "jane.purgeable@example.com";
    private static final String NAME = "Jane Purgeable";
    private static final int PARTITIONS = 4;
    /** kafka.erasureWindow: everything of the person must be gone from Kafka this soon after the purge. */
    private static final Duration ERASURE_WINDOW = Duration.ofSeconds(32);
    /** What the broker's cleaner adds: it looks every 200 ms here (15 s by default), and a pass takes its time. */
    private static final Duration CLEANER_SLACK = Duration.ofSeconds(15);
    /** What the person ordered: a nested child's data, which the purge must remove as well. */
    private static final String ORDER_ITEM = "Vinyl for Jane Purgeable";
    private static String orderId;

    private static TestKafka kafka;
    private static PersonaConfig config;
    private static Path dir;
    private static DuckDb warehouse;
    private static final List<PersonaInstance> instances = new ArrayList<>();

    @BeforeAll
    static void start() throws IOException {
        kafka = TestKafka.start();
        dir = Files.createTempDirectory("persona-purge");
        warehouse = new DuckDb(dir.resolve("warehouse.duckdb"));
        warehouse.execute("create table people (user_id varchar, email varchar, name varchar, plan varchar)",
                "insert into people values ('" + KEY + "', '" + EMAIL + "', '" + NAME + "', 'gold'), ('john', 'john@example.com', 'John', 'free')");
        // The order's rows are keyed by its id: one in the person's partition, so that the fillers roll its segments too.
        int n = 0;
        do {
            orderId = "order-" + n++;
        } while (KeyPartitions.of(orderId, PARTITIONS) != KeyPartitions.of(KEY, PARTITIONS));
        warehouse.execute("create table orders (order_id varchar, user_id varchar, item varchar)",
                "insert into orders values ('" + orderId + "', '" + KEY + "', '" + ORDER_ITEM + "'), ('order-john', 'john', 'Socks')");
        final String app = TestKafka.uniqueName("purge");
        config = ConfigLoader.withEnvironment(Map.of()).parse(dir.resolve("persona.yaml"), """
                kafka:
                  bootstrapServers: %1$s
                  applicationId: %2$s
                  topicPrefix: %2$s
                  erasureWindow: %5$ds
                collections:
                  - { name: customers, primaryIndex: user_id, secondaryIndices: [email], partitions: %4$d }
                syncs:
                  - id: people
                    collection: customers
                    source: { type: query, connection: "%3$s", sql: "select user_id, email, name, plan from people", schedule: every 1s }
                    primaryKey: user_id
                    mapping: [ { from: email }, { from: name }, { from: plan } ]
                    onDelete: delete_record
                  - id: clicks
                    collection: customers
                    source: { type: topic, topic: %2$s.clicks }
                    primaryKey: user_id
                    mapping: [ { from: last_page } ]
                    onDelete: clear_fields
                  - id: orders
                    collection: customers
                    source: { type: query, connection: "%3$s", sql: "select order_id, user_id, item from orders", schedule: every 1s }
                    primaryKey: order_id
                    mapping: [ { from: item } ]
                    nest: { into: orders, parentKey: user_id, limit: 10 }
                """.formatted(kafka.bootstrapServers(), app, warehouse.url(), PARTITIONS, ERASURE_WINDOW.toSeconds()));
        for (int i = 0; i < 3; i++) {
            final Path state = dir.resolve("state-" + i);
            instances.add(PersonaInstance.start(config, InstanceOptions.local(state, state).withAdminKey(ADMIN)));
        }
        Poll.until(TIMEOUT, "three instances running", () -> instances.stream().allMatch(i -> i.streams().state() == KafkaStreams.State.RUNNING));
    }

    @AfterAll
    static void stop() {
        instances.forEach(PersonaInstance::close);
        kafka.close();
        TempDirs.delete(dir);
    }

    private static TestHttp http(final int instance) {
        return new TestHttp(instances.get(instance).port());
    }

    private static JsonNode json(final String body) {
        try {
            return Json.mapper().readTree(body);
        } catch (final IOException e) {
            throw new AssertionError(body, e);
        }
    }

    private static String topic(final String name) {
        return config.kafka().topicPrefix() + "." + name;
    }

    @Test
    void shouldLeaveNoTraceOfAPurgedPersonInAnyTopicAndKeepTheSourceFromBringingThemBack() throws Exception {
        final TopicNames names = new TopicNames(config.kafka());
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            producer.send(new ProducerRecord<>(topic("clicks"), KEY, utf8("{\"op\":\"upsert\",\"row\":{\"user_id\":\"" + KEY + "\",\"last_page\":\"/pricing\"}}")));
            // A row that cannot be read, holding the person's data, in a topic of Persona's: a dead letter keyed by them.
            producer.send(new ProducerRecord<>(names.syncTopic("customers", "people"), KEY, utf8("{\"op\":\"upsert\",\"row\":\"" + EMAIL + " broken\"}")));
        }
        for (int i = 0; i < 3; i++) {
            final TestHttp http = http(i);
            Poll.until(TIMEOUT, "the person merged from both syncs, by email", () -> {
                final HttpResponse<String> got = http.get("/v1/collections/customers/records/email/" + EMAIL, bearer(ADMIN));
                return got.statusCode() == 200 && got.body().contains("/pricing") && got.body().contains("gold") && got.body().contains(ORDER_ITEM);
            });
        }
        Poll.until(TIMEOUT, "the dead letter written", () -> http(0).get("/admin/collections/customers/dead-letters", bearer(ADMIN)).body().contains(KEY));

        try (Admin admin = kafka.admin(); EventStream stream = EventStream.open("http://127.0.0.1:" + instances.get(2).port()
                + "/v1/collections/customers/records/id/" + KEY + "/changes", bearer(ADMIN))) {
            assertEquals("record", stream.next(TIMEOUT).name());
            cleanerLooksOften(admin);

            final HttpResponse<String> answer = http(1).post("/admin/collections/customers/purge",
                    "{\"index\":\"email\",\"value\":\"" + EMAIL + "\"}", bearer(ADMIN));
            assertEquals(200, answer.statusCode(), answer.body());
            final JsonNode audit = json(answer.body());
            assertEquals(Purges.hash(KEY), audit.path("keySha256").asText());
            assertEquals(Purges.hash(EMAIL), audit.path("valueSha256").asText());
            assertEquals("email", audit.path("index").asText());
            assertTrue(audit.path("by").path("keyId").asText().startsWith("bootstrap-"), "who purged: " + audit);
            final Set<String> cleared = toSet(audit.path("cleared"));
            assertEquals(Set.of(names.syncTopic("customers", "people"), names.syncTopic("customers", "orders"), names.deadLetterTopic("customers"),
                    names.replay(config.sync("clicks").orElseThrow()), names.runSamples()), cleared);
            assertEquals(Set.of(topic("clicks")), toSet(audit.path("notPersonas")), "another team's topic is named, not changed");
            assertTrue(!answer.body().contains(KEY) && !answer.body().contains(EMAIL), "the answer holds no data: " + answer.body());

            assertEquals("deleted", stream.next(TIMEOUT).name(), "an open change stream is told");
        }
        for (int i = 0; i < 3; i++) {
            assertEquals(404, http(i).get("/v1/collections/customers/records/id/" + KEY, bearer(ADMIN)).statusCode());
            assertEquals(404, http(i).get("/v1/collections/customers/records/email/" + EMAIL, bearer(ADMIN)).statusCode());
        }
        assertTrue(http(0).get("/admin/collections/customers/dead-letters", bearer(ADMIN)).body().indexOf("\"key\":\"" + KEY) < 0);

        // The warehouse still holds the row: its runs go on, and bring nothing back.
        final int runs = succeededRuns();
        Poll.until(TIMEOUT, "two more runs of the query sync", () -> succeededRuns() >= runs + 2);
        warehouse.execute("update people set plan = 'platinum' where user_id = '" + KEY + "'");
        Poll.until(TIMEOUT, "a run that read the changed row", () -> succeededRuns() >= runs + 4);
        assertEquals(404, http(0).get("/v1/collections/customers/records/id/" + KEY, bearer(ADMIN)).statusCode());
        assertEquals(200, http(0).get("/v1/collections/customers/records/id/john", bearer(ADMIN)).statusCode(), "others stay");
        // ... and so it wrote the row again: only a tombstone of another purge makes compaction take it.
        assertEquals(200, http(2).post("/admin/collections/customers/purge", "{\"value\":\"" + KEY + "\"}", bearer(ADMIN)).statusCode());
        final long purged = System.nanoTime();

        // Nothing else is written: Persona's topic settings and its markers alone must get the cleaner there in time.
        List<String> traces = List.of("not looked yet");
        final long deadline = purged + ERASURE_WINDOW.plus(CLEANER_SLACK).toNanos();
        while (!traces.isEmpty() && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofSeconds(2).toNanos());
            // The query sync's state keeps the key and a hash of the row while the warehouse holds it: no data.
            traces = traces(Set.of(topic("clicks")), List.of(EMAIL, NAME, "platinum", ORDER_ITEM));
            // So does the map of each nested child to its parent, until the child's row is deleted or moves.
            traces.addAll(traces(Set.of(topic("clicks"), new TopicNames(config.kafka()).state(config.sync("people").orElseThrow()),
                    config.kafka().applicationId() + "-nest-parents-customers-orders-changelog"), List.of(KEY)));
        }
        assertEquals(List.of(), traces, "within the erasure window (" + ERASURE_WINDOW.toSeconds() + " s) and the cleaner's slack");
        System.out.printf("PurgeIT: every topic free of the person %.1f s after the purge (erasure window %d s)%n",
                (System.nanoTime() - purged) / 1e9, ERASURE_WINDOW.toSeconds());

        warehouse.execute("delete from people where user_id = '" + KEY + "'");
        final int before = succeededRuns();
        Poll.until(TIMEOUT, "a run that saw the row deleted", () -> succeededRuns() >= before + 2);
        warehouse.execute("insert into people values ('" + KEY + "', 'jane.again@example.com', 'Jane, back', 'free')");
        Poll.until(TIMEOUT, "the person, added again by a source that deleted them, served again", () ->
                http(0).get("/v1/collections/customers/records/email/jane.again@example.com", bearer(ADMIN)).statusCode() == 200);
    }

    private static Set<String> toSet(final JsonNode array) {
        final Set<String> set = new java.util.HashSet<>();
        array.forEach(n -> set.add(n.asText()));
        return set;
    }

    private static int succeededRuns() {
        int count = 0;
        for (final JsonNode run : json(http(0).get("/admin/syncs/people/runs", bearer(ADMIN)).body()).path("runs")) {
            if (run.path("status").asText().equals("succeeded")) {
                count++;
            }
        }
        return count;
    }

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The broker's cleaner looking every 200 ms, where its default is 15 s: a broker setting, not a topic's. */
    private static void cleanerLooksOften(final Admin admin) throws Exception {
        admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.BROKER, ""),
                List.of(new AlterConfigOp(new ConfigEntry("log.cleaner.backoff.ms", "200"), AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
    }

    /** Where any of {@code needles} appears (keys, values, headers) in any topic but {@code skipped}, read uncommitted. */
    private static List<String> traces(final Set<String> skipped, final List<String> needles) {
        final List<String> found = new ArrayList<>();
        final Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (Admin admin = kafka.admin();
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = new ArrayList<>();
            for (final var description : admin.describeTopics(admin.listTopics().names().get()).allTopicNames().get().values()) {
                if (!skipped.contains(description.name())) {
                    description.partitions().forEach(p -> partitions.add(new TopicPartition(description.name(), p.partition())));
                }
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p)) && System.nanoTime() < deadline) {
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    final StringBuilder all = new StringBuilder();
                    if (record.key() != null) {
                        all.append(new String(record.key(), StandardCharsets.UTF_8));
                    }
                    if (record.value() != null) {
                        all.append(new String(record.value(), StandardCharsets.UTF_8));
                    }
                    for (final Header header : record.headers()) {
                        all.append(new String(header.value(), StandardCharsets.UTF_8));
                    }
                    for (final String needle : needles) {
                        if (all.indexOf(needle) >= 0) {
                            found.add(record.topic() + "/" + record.partition() + "@" + record.offset() + " holds " + needle);
                        }
                    }
                }
            }
        } catch (final Exception e) {
            throw new IllegalStateException(e);
        }
        return new ArrayList<>(found.stream().distinct().collect(Collectors.toList()));
    }
}
