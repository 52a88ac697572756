package dev.persona.bench;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Nested child rows under a hot child: one parent with {@code --children} orders nested into it (newest first, all
 * of them shown), one of which changes {@code --rate} times a second for {@code --seconds}. Each change carries its
 * number; the parent's change stream (Server-Sent Events, so committed writes only) shows when the array first holds
 * it. Latency from the broker's acknowledgement of the child row to that event (HdrHistogram), and how many changes
 * were seen: Kafka Streams may fold several writes of one commit interval into one.
 * <p>
 * Usage: {@code bench/run nested [--children 50] [--rate 1000] [--seconds 20]}.
 */
public final class NestedBenchmark {
    private static final String KEY = "nested-bench-admin-key";
    private static final Pattern HOT = Pattern.compile("\"order_id\":\"hot\",\"total\":(\\d+)");

    private NestedBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> options = Options.parse(args);
        final int children = Integer.parseInt(options.getOrDefault("children", "50"));
        final int rate = Integer.parseInt(options.getOrDefault("rate", "1000"));
        final int seconds = Integer.parseInt(options.getOrDefault("seconds", "20"));
        final Path home = Files.createTempDirectory("persona-nested");
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(home.resolve("bench.yaml"), """
                kafka: { topicPrefix: nested }
                collections:
                  - { name: customers, primaryIndex: id, partitions: 6 }
                syncs:
                  - id: orders
                    collection: customers
                    source: { type: topic, topic: nested.orders }
                    primaryKey: order_id
                    mapping: [ { from: total }, { from: created_at } ]
                    nest: { into: orders, parentKey: customer_id, orderBy: created_at desc, limit: %d }
                """.formatted(children));
        try (PersonaInstance instance = PersonaInstance.start(config, InstanceOptions.local(home.resolve("state"), home).withAdminKey(KEY));
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, instance.bootstrapServers(),
                     ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < children - 1; i++) {
                producer.send(row("o" + i, i, String.format("2026-11-%02dT00:00:00Z", 1 + i % 28)));
            }
            producer.send(row("hot", 0, "2026-12-31T00:00:00Z"));
            producer.flush();
            final HttpClient client = HttpClient.newHttpClient();
            final String url = "http://127.0.0.1:" + instance.port() + "/v1/collections/customers/records/id/p1";
            final HttpRequest lookup = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + KEY).build();
            final long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (!client.send(lookup, HttpResponse.BodyHandlers.ofString()).body().contains("\"order_id\":\"o" + (children - 2) + "\"")) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the parent's " + children + " children were not nested within 3 minutes");
                }
                LockSupport.parkNanos(50_000_000);
            }

            final Map<Long, Long> acked = new ConcurrentHashMap<>();
            final Histogram latency = new Histogram(3);
            final AtomicInteger seen = new AtomicInteger();
            final AtomicLong highest = new AtomicLong();
            client.sendAsync(HttpRequest.newBuilder(URI.create(url + "/changes")).header("Authorization", "Bearer " + KEY).build(),
                    HttpResponse.BodyHandlers.fromLineSubscriber(new SseLines(line -> {
                        final Matcher m = HOT.matcher(line);
                        if (!line.startsWith("data: ") || !m.find()) {
                            return;
                        }
                        final long now = System.nanoTime();
                        final long seq = Long.parseLong(m.group(1));
                        final Long sent = acked.get(seq);
                        if (seq > highest.get() && sent != null) {
                            highest.set(seq);
                            synchronized (latency) {
                                latency.recordValue(Math.max(0, now - sent) / 1_000);
                            }
                            seen.incrementAndGet();
                        }
                    })));
            LockSupport.parkNanos(Duration.ofSeconds(1).toNanos());
            final long total = (long) rate * seconds;
            final long interval = 1_000_000_000L / rate;
            final long start = System.nanoTime();
            for (long seq = 1; seq <= total; seq++) {
                final long due = start + (seq - 1) * interval;
                while (System.nanoTime() < due) {
                    LockSupport.parkNanos(Math.max(1, due - System.nanoTime()));
                }
                final long s = seq;
                producer.send(row("hot", seq, "2026-12-31T00:00:00Z"), (metadata, e) -> {
                    if (e == null) {
                        acked.put(s, System.nanoTime());
                    }
                });
            }
            producer.flush();
            final long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (highest.get() < total && System.nanoTime() < end) {
                LockSupport.parkNanos(50_000_000);
            }
            System.out.printf("a parent with %d children, one changing %d/s for %d s: acknowledged child row -> parent's array shows it "
                    + "(change stream):%n", children, rate, seconds);
            System.out.printf("  p50 %.1f ms   p99 %.1f ms   p99.9 %.1f ms   max %.1f ms   last change seen: %s   changes seen as events: %,d of %,d%n",
                    latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(99) / 1000.0,
                    latency.getValueAtPercentile(99.9) / 1000.0, latency.getMaxValue() / 1000.0, highest.get() == total ? "yes" : "no",
                    seen.get(), total);
        } finally {
            Options.deleteTree(home);
        }
    }

    private static ProducerRecord<String, String> row(final String id, final long total, final String createdAt) {
        return new ProducerRecord<>("nested.orders", id, "{\"op\":\"upsert\",\"row\":{\"order_id\":\"" + id + "\",\"customer_id\":\"p1\",\"total\":"
                + total + ",\"created_at\":\"" + createdAt + "\"}}");
    }
}
