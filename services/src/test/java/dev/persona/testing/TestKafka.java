package dev.persona.testing;

import dev.persona.runtime.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real broker for a test class (Persona's own embedded KRaft broker, the one {@code persona demo} runs),
 * with helpers that hand each test its own names.
 */
public final class TestKafka implements AutoCloseable {
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final EmbeddedKafkaBroker broker;
    private final Path dataDir;

    private TestKafka(final EmbeddedKafkaBroker broker, final Path dataDir) {
        this.broker = broker;
        this.dataDir = dataDir;
    }

    /** Starts a broker on a free port with a fresh data directory. */
    public static TestKafka start() {
        try {
            final Path dir = Files.createTempDirectory("persona-test-kafka");
            return new TestKafka(EmbeddedKafkaBroker.start(dir, 0), dir);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** A name no other test of this JVM uses, for application ids and topic prefixes. */
    public static String uniqueName(final String base) {
        return base + SEQUENCE.incrementAndGet() + "x" + Long.toString(System.nanoTime() % 100_000, 36);
    }

    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }

    public KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
    }

    @Override
    public void close() {
        broker.close();
        TempDirs.delete(dataDir);
    }
}
