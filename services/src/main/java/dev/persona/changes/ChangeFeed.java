package dev.persona.changes;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Follows one record store's changelog on every instance, whoever processes its partitions, and hands each committed
 * write to the listeners of its key. One consumer of its own, without a group, assigned every partition and started at
 * the end; {@code read_committed}, so that a listener sees what a transaction committed and never what it aborted.
 * Listeners must not block: the thread that calls them is the one that reads the topic.
 */
final class ChangeFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeFeed.class);
    /** A resume point further back than this is not replayed: the stream starts with the current record instead. */
    static final long MAX_REPLAY = 100_000;

    /** Told of every committed write of one key. Called on the feed's thread: must return at once. */
    interface Listener {
        void changed(ChangeEvent event);
    }

    private final String topic;
    private final Map<String, Object> consumerProperties;
    private final Map<String, Set<Listener>> listeners = new ConcurrentHashMap<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private final Thread thread;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile int partitions;
    private volatile RuntimeException failure;
    private volatile boolean closed;

    ChangeFeed(final String topic, final Map<String, Object> clientProperties) {
        this.topic = topic;
        this.consumerProperties = consumerProperties(clientProperties, "persona-changes-" + topic);
        this.thread = new Thread(this::run, "persona-changes-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    static Map<String, Object> consumerProperties(final Map<String, Object> clientProperties, final String clientId) {
        final Map<String, Object> props = new HashMap<>(clientProperties);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        return props;
    }

    /**
     * Waits until the feed reads from the end of every partition, so that a listener added after it misses nothing
     * committed later.
     *
     * @return the changelog's partition count
     * @throws ChangeFeedUnavailableException when it could not start within {@code timeout}
     */
    int awaitStarted(final Duration timeout) {
        try {
            if (!started.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new ChangeFeedUnavailableException("the changelog " + topic + " could not be read within " + timeout.toSeconds() + " s");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChangeFeedUnavailableException("interrupted while waiting for the changelog " + topic);
        }
        if (failure != null) {
            throw failure;
        }
        return partitions;
    }

    void listen(final String key, final Listener listener) {
        listeners.computeIfAbsent(key, k -> new CopyOnWriteArraySet<>()).add(listener);
    }

    void unlisten(final String key, final Listener listener) {
        listeners.computeIfPresent(key, (k, set) -> {
            set.remove(listener);
            return set.isEmpty() ? null : set;
        });
    }

    /** The offset the next write of a partition will take, as a consumer that reads committed records sees it. */
    long endOffset(final int partition, final Duration timeout) {
        try (KafkaConsumer<String, byte[]> reader = reader()) {
            final TopicPartition p = new TopicPartition(topic, partition);
            return reader.endOffsets(List.of(p), timeout).getOrDefault(p, 0L);
        } catch (final KafkaException e) {
            throw new ChangeFeedUnavailableException("the end of the changelog " + topic + " cannot be read: " + e.getMessage());
        }
    }

    /**
     * Hands {@code to} every committed write of {@code key} in {@code partition} from offset {@code from} up to the
     * end as it is now, as compaction would leave them: nothing before the last deletion of the key in that range.
     * A purge deletes the record, so a stream resumed from before it gets the deletion and nothing the purge erased,
     * whatever the changelog still holds until its cleaner runs.
     *
     * @return false, having read nothing, when the changelog no longer holds {@code from} or never did, or when it is
     * more than {@value #MAX_REPLAY} writes back
     */
    boolean replay(final String key, final int partition, final long from, final Duration timeout, final Consumer<ChangeEvent> to) {
        try (KafkaConsumer<String, byte[]> reader = reader()) {
            final TopicPartition p = new TopicPartition(topic, partition);
            reader.assign(List.of(p));
            final long begin = reader.beginningOffsets(List.of(p), timeout).getOrDefault(p, 0L);
            final long end = reader.endOffsets(List.of(p), timeout).getOrDefault(p, 0L);
            if (from < begin || from > end || end - from > MAX_REPLAY) {
                return false;
            }
            reader.seek(p, from);
            final List<ChangeEvent> events = new java.util.ArrayList<>();
            final long deadline = System.nanoTime() + timeout.toNanos();
            // Transaction markers take offsets without being records: the position tells when the end is reached.
            while (reader.position(p) < end) {
                if (System.nanoTime() > deadline) {
                    throw new ChangeFeedUnavailableException("the changelog " + topic + " could not be replayed within " + timeout.toSeconds() + " s");
                }
                for (final ConsumerRecord<String, byte[]> record : reader.poll(Duration.ofMillis(200))) {
                    if (record.offset() < end && key.equals(record.key())) {
                        if (record.value() == null) {
                            events.clear();
                        }
                        events.add(new ChangeEvent(record.partition(), record.offset(), record.value()));
                    }
                }
            }
            events.forEach(to);
            return true;
        } catch (final KafkaException e) {
            throw new ChangeFeedUnavailableException("the changelog " + topic + " cannot be replayed: " + e.getMessage());
        }
    }

    private KafkaConsumer<String, byte[]> reader() {
        return new KafkaConsumer<>(consumerProperties(consumerProperties, "persona-changes-replay"), new StringDeserializer(),
                new ByteArrayDeserializer());
    }

    private void run() {
        try (KafkaConsumer<String, byte[]> follower = new KafkaConsumer<>(consumerProperties, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer = follower;
            if (closed) {
                return;
            }
            final List<PartitionInfo> infos = follower.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new ChangeFeedUnavailableException("the changelog " + topic + " does not exist yet: the collection has no sync, "
                        + "or the topology has not started");
            }
            final List<TopicPartition> all = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            follower.assign(all);
            follower.seekToEnd(all);
            // position() resolves the lazy seek now: a listener added after this misses nothing.
            all.forEach(follower::position);
            partitions = all.size();
            started.countDown();
            while (!closed) {
                for (final ConsumerRecord<String, byte[]> record : follower.poll(Duration.ofSeconds(1))) {
                    final Set<Listener> wanting = record.key() == null ? null : listeners.get(record.key());
                    if (wanting != null) {
                        final ChangeEvent event = new ChangeEvent(record.partition(), record.offset(), record.value());
                        wanting.forEach(listener -> listener.changed(event));
                    }
                }
            }
        } catch (final WakeupException e) {
            if (!closed) {
                fail(new ChangeFeedUnavailableException("the follower of " + topic + " was woken up"));
            }
        } catch (final ChangeFeedUnavailableException e) {
            fail(e);
        } catch (final RuntimeException e) {
            LOG.error("The change feed of {} stopped", topic, e);
            fail(new ChangeFeedUnavailableException("the change feed of " + topic + " stopped: " + e.getMessage()));
        }
    }

    private void fail(final ChangeFeedUnavailableException e) {
        failure = e;
        started.countDown();
    }

    /** Whether the feed stopped for good; {@link ChangeFeeds} then starts another. */
    boolean failed() {
        return failure != null;
    }

    @Override
    public void close() {
        closed = true;
        final KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
