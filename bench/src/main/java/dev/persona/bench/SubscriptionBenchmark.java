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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Change subscriptions under load: {@code --subscribers} Server-Sent Event streams open on one instance (embedded
 * broker, in this JVM), each following its own record, while a producer changes random ones of those records at
 * {@code --rate} per second. Each change row carries its number; the time from the broker's acknowledgement of the
 * row (the change committed to the sync's topic) to its event reaching the subscriber is recorded (HdrHistogram):
 * p50, p99, p99.9, max, and how many changes never arrived.
 * <p>
 * The topic is copartitioned by default, as the topics of CDC and query syncs are: rows are merged where they
 * arrive. {@code --copartitioned false} adds the repartition step (and so a second exactly-once commit) that other
 * teams' topics keyed as they please take.
 * <p>
 * Usage: {@code bench/run changes [--subscribers 1000] [--rate 200] [--seconds 30] [--copartitioned true]}.
 */
public final class SubscriptionBenchmark {
    private static final String KEY = "subscription-bench-admin-key";

    private SubscriptionBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> options = Options.parse(args);
        final int subscribers = Integer.parseInt(options.getOrDefault("subscribers", "1000"));
        final int rate = Integer.parseInt(options.getOrDefault("rate", "200"));
        final int seconds = Integer.parseInt(options.getOrDefault("seconds", "30"));
        final boolean copartitioned = Boolean.parseBoolean(options.getOrDefault("copartitioned", "true"));
        final Path home = Files.createTempDirectory("persona-subscriptions");
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(home.resolve("bench.yaml"), """
                kafka: { topicPrefix: subs }
                collections:
                  - { name: people, primaryIndex: id, partitions: 6 }
                syncs:
                  - id: traits
                    collection: people
                    source: { type: topic, topic: subs.traits, copartitioned: %s }
                    primaryKey: id
                    mapping: [ { from: seq }, { from: name } ]
                """.formatted(copartitioned));
        try (PersonaInstance instance = PersonaInstance.start(config, InstanceOptions.local(home.resolve("state"), home).withAdminKey(KEY));
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, instance.bootstrapServers(),
                     ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < subscribers; i++) {
                producer.send(row("p" + i, 0));
            }
            producer.flush();
            final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            final String base = "http://127.0.0.1:" + instance.port() + "/v1/collections/people/records/id/";
            awaitVisible(client, base + "p" + (subscribers - 1));

            final Map<Long, Long> acked = new ConcurrentHashMap<>();
            final Histogram latency = new Histogram(3);
            final AtomicInteger received = new AtomicInteger();
            final AtomicInteger opened = new AtomicInteger();
            final List<CompletableFuture<?>> streams = new ArrayList<>();
            final long openStart = System.nanoTime();
            for (int i = 0; i < subscribers; i++) {
                final HttpRequest request = HttpRequest.newBuilder(URI.create(base + "p" + i + "/changes"))
                        .header("Authorization", "Bearer " + KEY).header("Accept", "text/event-stream").build();
                streams.add(client.sendAsync(request, HttpResponse.BodyHandlers.fromLineSubscriber(new SseLines(line -> {
                    if (line.startsWith("retry:")) {
                        opened.incrementAndGet();
                    }
                    final int at = line.indexOf("\"seq\":");
                    if (!line.startsWith("data: ") || at < 0) {
                        return;
                    }
                    final long now = System.nanoTime();
                    final long seq = Long.parseLong(line.substring(at + 6, line.indexOf(',', at) < 0 ? line.indexOf('}', at) : line.indexOf(',', at)));
                    final Long sent = acked.get(seq);
                    if (seq > 0 && sent != null) {
                        synchronized (latency) {
                            latency.recordValue(Math.max(0, now - sent) / 1_000);
                        }
                        received.incrementAndGet();
                    }
                }))));
            }
            while (opened.get() < subscribers) {
                if (System.nanoTime() - openStart > Duration.ofMinutes(2).toNanos()) {
                    throw new IllegalStateException("only " + opened.get() + " of " + subscribers + " streams opened in 2 minutes");
                }
                LockSupport.parkNanos(10_000_000);
            }
            System.out.printf("%,d streams open in %.1f s%n", subscribers, (System.nanoTime() - openStart) / 1e9);

            final long total = (long) rate * seconds;
            final long interval = 1_000_000_000L / rate;
            final long start = System.nanoTime();
            for (long seq = 1; seq <= total; seq++) {
                final long due = start + (seq - 1) * interval;
                while (System.nanoTime() < due) {
                    LockSupport.parkNanos(Math.max(1, due - System.nanoTime()));
                }
                final long s = seq;
                producer.send(row("p" + ThreadLocalRandom.current().nextInt(subscribers), seq), (metadata, e) -> {
                    if (e == null) {
                        acked.put(s, System.nanoTime());
                    }
                });
            }
            producer.flush();
            final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (received.get() < total && System.nanoTime() < deadline) {
                LockSupport.parkNanos(50_000_000);
            }
            final Runtime runtime = Runtime.getRuntime();
            System.out.printf("%,d subscribers, %,d changes at %d/s (%s topic): acknowledged change row -> event at its subscriber:%n", subscribers,
                    total, rate, copartitioned ? "copartitioned" : "repartitioned");
            System.out.printf("  p50 %.1f ms   p99 %.1f ms   p99.9 %.1f ms   max %.1f ms   received %,d of %,d   heap used %d MiB%n",
                    latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(99) / 1000.0,
                    latency.getValueAtPercentile(99.9) / 1000.0, latency.getMaxValue() / 1000.0, received.get(), total,
                    (runtime.totalMemory() - runtime.freeMemory()) >> 20);
            streams.forEach(s -> s.cancel(true));
        } finally {
            Options.deleteTree(home);
        }
    }

    private static ProducerRecord<String, String> row(final String id, final long seq) {
        return new ProducerRecord<>("subs.traits", id, "{\"op\":\"upsert\",\"row\":{\"id\":\"" + id + "\",\"seq\":" + seq + ",\"name\":\"n" + seq + "\"}}");
    }

    private static void awaitVisible(final HttpClient client, final String url) throws Exception {
        final HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + KEY).build();
        final long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode() != 200) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(url + " not visible within 3 minutes");
            }
            LockSupport.parkNanos(50_000_000);
        }
    }
}
