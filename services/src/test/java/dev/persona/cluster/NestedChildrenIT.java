package dev.persona.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import dev.persona.topology.Json;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static dev.persona.testing.TestHttp.bearer;

/**
 * Nested arrays under writes and a kill -9: 400 random inserts, updates, moves between parents and deletes of
 * orders are produced while a {@code persona serve} process folds them into their customers' arrays; it is killed
 * with SIGKILL half way, a new one takes over with the same state directory, and every customer's array ends equal
 * to an oracle computed from the writes (ordered newest first, at most five).
 */
class NestedChildrenIT {
    private static final String ADMIN = "nested-admin-secret-0123";
    private static final int PARENTS = 6;
    private static final int CHILDREN = 40;
    private static final int LIMIT = 5;

    private record Order(String parent, int total, String createdAt) {
    }

    @Test
    void shouldKeepEveryArrayEqualToItsChildrenThroughAKill() throws Exception {
        final Path dir = Files.createTempDirectory("persona-nested");
        final List<Process> processes = new ArrayList<>();
        try (TestKafka kafka = TestKafka.start(); KafkaProducer<String, byte[]> producer = kafka.producer()) {
            final String app = TestKafka.uniqueName("nested");
            final Path config = dir.resolve("persona.yaml");
            Files.writeString(config, """
                    kafka: { bootstrapServers: "%1$s", applicationId: %2$s, topicPrefix: %2$s }
                    collections:
                      - { name: customers, primaryIndex: user_id, partitions: 4 }
                    syncs:
                      - id: orders
                        collection: customers
                        source: { type: topic, topic: %2$s.orders }
                        primaryKey: order_id
                        mapping: [ { from: total }, { from: created_at } ]
                        nest: { into: orders, parentKey: customer_id, orderBy: created_at desc, limit: %3$d }
                    """.formatted(kafka.bootstrapServers(), app, LIMIT));
            final int port = freePort();
            processes.add(start(config, port, dir.resolve("state"), dir));
            Poll.until(Duration.ofSeconds(120), "ready", () -> new TestHttp(port).get("/readyz").statusCode() == 200);

            final Map<String, Order> oracle = new TreeMap<>();
            final Random random = new Random(42);
            for (int i = 0; i < 400; i++) {
                final String child = "o" + random.nextInt(CHILDREN);
                if (oracle.containsKey(child) && random.nextInt(5) == 0) {
                    oracle.remove(child);
                    producer.send(new ProducerRecord<>(app + ".orders", child, null));
                } else {
                    // An insert, an update, or (when the parent differs) a move.
                    final Order order = new Order("c" + random.nextInt(PARENTS), random.nextInt(1000), String.format("2026-12-%02dT%02d:00:00Z",
                            1 + random.nextInt(28), random.nextInt(24)));
                    oracle.put(child, order);
                    producer.send(new ProducerRecord<>(app + ".orders", child, ("{\"op\":\"upsert\",\"row\":{\"order_id\":\"" + child
                            + "\",\"customer_id\":\"" + order.parent() + "\",\"total\":" + order.total() + ",\"created_at\":\""
                            + order.createdAt() + "\"}}").getBytes(StandardCharsets.UTF_8)));
                }
                if (i == 200) {
                    producer.flush();
                    processes.get(0).destroyForcibly();
                    processes.get(0).waitFor();
                    processes.add(start(config, port, dir.resolve("state"), dir));
                }
            }
            producer.flush();
            Poll.until(Duration.ofSeconds(120), "the new instance ready", () -> new TestHttp(port).get("/readyz").statusCode() == 200);
            final Map<String, String> expected = expected(oracle);
            Poll.until(Duration.ofSeconds(120), "every array equal to the oracle", () -> {
                for (int p = 0; p < PARENTS; p++) {
                    final String parent = "c" + p;
                    final HttpResponse<String> got = new TestHttp(port).get("/v1/collections/customers/records/id/" + parent, bearer(ADMIN));
                    final String actual = got.statusCode() == 404 ? "404" : got.statusCode() == 200 ? orders(got.body()) : "?";
                    if (!actual.equals(expected.getOrDefault(parent, "404"))) {
                        return false;
                    }
                }
                return true;
            });
        } finally {
            for (final Process process : processes) {
                process.destroyForcibly();
                process.waitFor();
            }
            TempDirs.delete(dir);
        }
    }

    /** Each parent's array as the API should show it: its children newest first, at most {@link #LIMIT}. */
    private static Map<String, String> expected(final Map<String, Order> oracle) {
        final Map<String, List<Map.Entry<String, Order>>> byParent = new TreeMap<>();
        oracle.entrySet().forEach(e -> byParent.computeIfAbsent(e.getValue().parent(), p -> new ArrayList<>()).add(e));
        final Map<String, String> expected = new TreeMap<>();
        byParent.forEach((parent, children) -> {
            children.sort(Comparator.<Map.Entry<String, Order>, String>comparing(e -> e.getValue().createdAt()).reversed()
                    .thenComparing(Map.Entry::getKey));
            final ArrayNode array = Json.mapper().createArrayNode();
            children.stream().limit(LIMIT).forEach(e -> {
                final ObjectNode element = array.addObject();
                element.put("order_id", e.getKey());
                element.put("total", e.getValue().total());
                element.put("created_at", e.getValue().createdAt());
            });
            expected.put(parent, array.toString());
        });
        return expected;
    }

    private static String orders(final String body) {
        try {
            final JsonNode record = Json.mapper().readTree(body);
            return record.has("orders") ? record.get("orders").toString() : "404";
        } catch (final IOException e) {
            throw new AssertionError(body, e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static Process start(final Path config, final int port, final Path state, final Path home) throws IOException {
        final ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-cp", System.getProperty("java.class.path"), "dev.persona.cli.PersonaCommand",
                "serve", "--config", config.toString(), "--port", Integer.toString(port), "--state-dir", state.toString(),
                "--host", "127.0.0.1", "--advertised-host", "127.0.0.1");
        builder.environment().put("PERSONA_ADMIN_KEY", ADMIN);
        builder.environment().put("PERSONA_HOME", home.toString());
        builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("instance.log").toFile()));
        return builder.start();
    }
}
