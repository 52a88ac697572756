package dev.persona.testing;

import dev.persona.kafka.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
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

    /**
     * Reads {@code topic} from the beginning until a record matches, and returns it.
     *
     * @throws AssertionError when none does within {@code timeout}
     */
    public ConsumerRecord<String, byte[]> awaitRecord(final String topic, final Duration timeout, final String what,
                                                      final Predicate<ConsumerRecord<String, byte[]>> matches) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = Poll.until(timeout, "topic " + topic, () -> {
                final List<PartitionInfo> infos = consumer.partitionsFor(topic);
                return infos == null || infos.isEmpty() ? Optional.empty()
                        : Optional.of(infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList());
            });
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            return Poll.until(timeout, what, () -> {
                for (final ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (matches.test(record)) {
                        return Optional.of(record);
                    }
                }
                return Optional.empty();
            });
        }
    }

    /** A header's value as text, or null when the record has none. */
    public static String header(final ConsumerRecord<?, ?> record, final String name) {
        final Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        broker.close();
        TempDirs.delete(dataDir);
    }
}
