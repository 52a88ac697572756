package dev.persona.api;

import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestConfigs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Lookups while the topology writes the same stores. Kafka Streams 4.3's IQv2 key queries can deadlock against
 * store writes (KAFKA-19629); this test hung the instance when lookups went through IQv2.
 */
class ConcurrentReadWriteIT {
    private static final String ADMIN = "concurrency-admin";

    @Test
    void shouldKeepAnsweringLookupsWhileRecordsAreBeingWritten() throws Exception {
        final Path state = Files.createTempDirectory("persona-concurrency");
        try (TestKafka kafka = TestKafka.start()) {
            final PersonaConfig config = TestConfigs.customers(kafka.bootstrapServers(), TestKafka.uniqueName("rw"));
            try (PersonaInstance instance = PersonaInstance.start(config, InstanceOptions.local(state, state).withAdminKey(ADMIN))) {
                final TestHttp http = new TestHttp(instance.port());
                final int records = 3_000;
                final AtomicBoolean writing = new AtomicBoolean(true);
                final AtomicLong answered = new AtomicLong();
                final AtomicLong failed = new AtomicLong();
                final List<Thread> readers = new ArrayList<>();
                for (int t = 0; t < 16; t++) {
                    final Thread reader = new Thread(() -> {
                        while (writing.get()) {
                            try {
                                final HttpResponse<String> r = http.get("/v1/collections/customers/records/id/"
                                        + ThreadLocalRandom.current().nextInt(records), bearer(ADMIN));
                                if (r.statusCode() == 200 || r.statusCode() == 404) {
                                    answered.incrementAndGet();
                                } else if (r.statusCode() != 503) {
                                    failed.incrementAndGet();
                                }
                            } catch (final UncheckedIOException e) {
                                failed.incrementAndGet();
                                return;
                            }
                        }
                    });
                    reader.setDaemon(true);
                    reader.start();
                    readers.add(reader);
                }
                try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
                    for (int round = 0; round < 5; round++) {
                        for (int i = 0; i < records; i++) {
                            TestConfigs.produce(producer, config, "customers", "profiles", Integer.toString(i),
                                    "{\"id\":\"" + i + "\",\"name\":\"round " + round + "\"}");
                        }
                        producer.flush();
                    }
                }
                Poll.until(Duration.ofSeconds(60), "every record at its last round while lookups run", () ->
                        http.get("/v1/collections/customers/records/id/" + (records - 1), bearer(ADMIN)).body().contains("round 4")
                                && http.get("/v1/collections/customers/records/id/0", bearer(ADMIN)).body().contains("round 4"));
                writing.set(false);
                for (final Thread reader : readers) {
                    reader.join(Duration.ofSeconds(30).toMillis());
                    assertFalse(reader.isAlive(), "a lookup never returned: the instance is stuck");
                }
                assertEquals(0, failed.get(), "no lookup failed with anything but 503");
                assertTrue(answered.get() > 100, "lookups were answered during the writes: " + answered.get());
                // A JVM started under nice is left as the operator set it (StreamThreadPriority).
                if (ownNice() == 0) {
                    assertTrue(streamThreadNices().contains(10), "the stream thread runs below the threads that answer lookups: " + streamThreadNices());
                }
            }
        } finally {
            TempDirs.delete(state);
        }
    }

    private static int ownNice() throws java.io.IOException {
        final String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
    }

    /**
     * The nice values of this JVM's stream threads. Linux keeps the first 15 characters of a thread's name, so a task
     * is a stream thread when a live Java thread named {@code ...StreamThread-n} begins with its name.
     */
    private static java.util.Set<Integer> streamThreadNices() throws java.io.IOException {
        final List<String> streamThreads = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(name -> name.matches(".*-StreamThread-\\d+")).toList();
        final java.util.Set<Integer> nices = new java.util.TreeSet<>();
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (final Path task : tasks.toList()) {
                try {
                    final String comm = Files.readString(task.resolve("comm")).strip();
                    if (streamThreads.stream().anyMatch(name -> name.startsWith(comm))) {
                        final String stat = Files.readString(task.resolve("stat"));
                        nices.add(Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]));
                    }
                } catch (final java.nio.file.NoSuchFileException ended) {
                    // A thread that ended since the listing: not a stream thread still running.
                }
            }
        }
        return nices;
    }
}
