package dev.persona.ingest;

import dev.persona.config.PersonaConfig;
import dev.persona.config.SyncConfig;
import dev.persona.topology.ChangeRow;
import dev.persona.topology.ChangeRowEnvelope;
import dev.persona.topology.TopicNames;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where a sync's change rows go, for every sync that writes them (CDC and query syncs; a topic sync's rows are another
 * team's topic): one producer, the topic's size limit, the collection's dead letters and the run's counts. A row larger
 * than the sync's topic takes goes to the dead-letter topic with its reason and the fix, never to Kafka to be refused
 * there (which would fail the whole batch or transaction). {@link #idempotent}: rows are flushed and acknowledged
 * batch by batch (CDC); {@link #transactional}: a run's rows and state apply together or not at all (query syncs).
 */
public final class ChangeSink implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeSink.class);

    private final SyncConfig sync;
    private final String syncTopic;
    private final String deadLetterTopic;
    private final Map<String, Object> clientProperties;
    private final Map<String, Object> producerProperties;
    private final String smaller;
    private final boolean transactional;
    private final Counts counts = new Counts();
    private KafkaProducer<String, byte[]> producer;
    private boolean transactionsReady;
    private RowSizeLimit limit;

    private ChangeSink(final PersonaConfig config, final SyncConfig sync, final Map<String, Object> clientProperties,
                       final Map<String, Object> producerProperties, final String smaller, final boolean transactional) {
        this.sync = sync;
        final TopicNames names = new TopicNames(config.kafka());
        this.syncTopic = names.syncTopic(sync.collection(), sync.id());
        this.deadLetterTopic = names.deadLetterTopic(sync.collection());
        this.clientProperties = clientProperties;
        this.producerProperties = producerProperties;
        this.smaller = smaller;
        this.transactional = transactional;
        this.producer = newProducer();
    }

    /**
     * A sink whose rows are acknowledged as the producer flushes them, each written once (an idempotent producer).
     *
     * @param smaller how a row of this sync is made smaller, for the fix a too-large row's dead letter names
     */
    public static ChangeSink idempotent(final PersonaConfig config, final SyncConfig sync, final Map<String, Object> clientProperties,
                                        final String smaller) {
        final Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return new ChangeSink(config, sync, clientProperties, props, smaller, false);
    }

    /**
     * A sink whose rows apply in transactions, one transactional id per sync: a new owner's first transaction fences a
     * previous owner that is still alive.
     *
     * @param smaller how a row of this sync is made smaller, for the fix a too-large row's dead letter names
     */
    public static ChangeSink transactional(final PersonaConfig config, final SyncConfig sync, final Map<String, Object> clientProperties,
                                           final String smaller) {
        final Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.kafka().applicationId() + "-sync-" + sync.id());
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) Duration.ofMinutes(15).toMillis());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        return new ChangeSink(config, sync, clientProperties, props, smaller, true);
    }

    private KafkaProducer<String, byte[]> newProducer() {
        return new KafkaProducer<>(producerProperties, new StringSerializer(), new ByteArraySerializer());
    }

    /** The sync's topic: where its rows go. */
    public String topic() {
        return syncTopic;
    }

    /**
     * Sends {@code row} to the sync's topic, or, when it is larger than the topic takes, its dead letter (no payload)
     * with the reason and the fix. Counted either way.
     */
    public Sent send(final ChangeRow row, final Headers headers) {
        final byte[] envelope = ChangeRowEnvelope.toBytes(row);
        final Optional<String> tooLarge = limit().rejection(row.key(), envelope);
        if (tooLarge.isPresent()) {
            counts.rejected.increment();
            return deadLetter(new DeadLetter(sync.id(), row.key(), row.version(), tooLarge.get(), null));
        }
        counts.sent.increment();
        (row.op() == ChangeRow.Op.UPSERT ? counts.upserts : counts.deletes).increment();
        return new Sent(row, null, send(new ProducerRecord<>(syncTopic, null, row.key(), envelope, headers)));
    }

    /** Sends {@code letter} to the collection's dead-letter topic; counted as rejected by whoever made it one. */
    public Sent deadLetter(final DeadLetter letter) {
        return new Sent(null, letter, send(letter.toRecord(deadLetterTopic)));
    }

    /** Sends a record of the sync's own bookkeeping (a query sync's state) with its rows, in the same transaction. */
    public void sendAlong(final ProducerRecord<String, byte[]> record) {
        producer.send(record);
    }

    /** Counts {@code row}, which Kafka refused for good after it was sent, as dead-lettered instead. */
    public void refused(final ChangeRow row) {
        counts.sent.decrement();
        (row.op() == ChangeRow.Op.UPSERT ? counts.upserts : counts.deletes).decrement();
        counts.rejected.increment();
    }

    /**
     * Gets ready to send, asking the broker what it must (a run's or an engine's start): the sync topic's size limit
     * and, for a {@link #transactional} sink, the transactional id's epoch, which fences a previous owner still alive.
     */
    public void prepare() {
        if (transactional && !transactionsReady) {
            producer.initTransactions();
            transactionsReady = true;
        }
        limit();
    }

    /** Waits until Kafka has answered for every record sent. */
    public void flush() {
        producer.flush();
    }

    /** Opens a transaction ({@link #transactional} sinks, after {@link #prepare}). */
    public void begin() {
        producer.beginTransaction();
    }

    /** Applies what the transaction sent. */
    public void commit() {
        producer.commitTransaction();
    }

    /** Drops what the transaction sent; a producer that cannot abort is replaced, so that the next run starts clean. */
    public void abort() {
        try {
            producer.abortTransaction();
        } catch (final KafkaException e) {
            LOG.warn("Sync {}: cannot abort the transaction ({}); the next one starts with a new producer", sync.id(), e.getMessage());
            renew();
        }
    }

    /** Replaces the producer (one left mid-transaction or broken by an error). */
    public void renew() {
        try {
            producer.close(Duration.ZERO);
        } catch (final RuntimeException e) {
            LOG.warn("Sync {}: error closing the producer", sync.id(), e);
        }
        producer = newProducer();
        transactionsReady = false;
    }

    /** Rows counted since {@link Counts#reset}. */
    public Counts counts() {
        return counts;
    }

    /** Whether Kafka refuses this record for good, so that no retry can mend it: the record itself is the problem. */
    public static boolean isPermanent(final Throwable failure) {
        return failure instanceof RecordTooLargeException || failure instanceof InvalidRecordException
                || failure instanceof SerializationException;
    }

    /** The size limit of the sync's topic, read from the broker on first use. */
    private RowSizeLimit limit() {
        if (limit == null) {
            limit = RowSizeLimit.of(syncTopic, clientProperties, smaller);
        }
        return limit;
    }

    /** The producer reports most failures through the future, some by throwing: both become a failed future. */
    private Future<RecordMetadata> send(final ProducerRecord<String, byte[]> record) {
        try {
            return producer.send(record);
        } catch (final KafkaException e) {
            if (transactional) {
                throw e;
            }
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }

    /**
     * One record handed to the producer, with what it carries: a change row, or a dead letter.
     *
     * @param row    the change row, or null for a dead letter
     * @param letter the dead letter, or null for a change row
     * @param ack    the producer's acknowledgement
     */
    public record Sent(ChangeRow row, DeadLetter letter, Future<RecordMetadata> ack) {
        /** Why Kafka did not take it, once the sink is flushed; empty when it did. */
        public Optional<Throwable> failure() {
            try {
                ack.get();
                return Optional.empty();
            } catch (final ExecutionException e) {
                return Optional.of(e.getCause());
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.of(e);
            }
        }
    }

    /** Rows of the run in progress, counted on one thread and read or reset on another. */
    public static final class Counts {
        private final LongAdder sent = new LongAdder();
        private final LongAdder upserts = new LongAdder();
        private final LongAdder deletes = new LongAdder();
        private final LongAdder rejected = new LongAdder();

        /** Rows that went to the sync's topic. */
        public long sent() {
            return sent.sum();
        }

        public long upserts() {
            return upserts.sum();
        }

        public long deletes() {
            return deletes.sum();
        }

        /** Rows that went to the dead letters instead. */
        public long rejected() {
            return rejected.sum();
        }

        /** Counts a row that never became a change row (an event Persona cannot read), dead-lettered by its source. */
        public void rejectedAtSource() {
            rejected.increment();
        }

        public void reset() {
            sent.reset();
            upserts.reset();
            deletes.reset();
            rejected.reset();
        }
    }
}
