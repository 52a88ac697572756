package dev.persona.changes;

import dev.persona.config.CollectionConfig;
import dev.persona.topology.KeyPartitions;
import dev.persona.topology.TopicNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Change subscriptions of one instance: a {@link ChangeFeed} per collection, started by its first subscriber, and
 * the streams it writes to. A new stream starts with the current record; a stream that resumes from an event id
 * gets every write of the record after it that the changelog still holds, then the changes as they come.
 *
 * <p>Metrics: {@code persona_change_subscriptions} (open streams), {@code persona_change_events_total} (writes handed
 * to streams).
 */
public final class ChangeFeeds implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeFeeds.class);
    /** Streams one instance keeps open at most; more are refused with a 503 until some end. */
    public static final int MAX_SUBSCRIPTIONS = 10_000;
    /** Streams one API key keeps open on one instance at most, so that no key can take every slot. */
    public static final int MAX_SUBSCRIPTIONS_PER_KEY = 100;
    static final Duration START_TIMEOUT = Duration.ofSeconds(15);

    private final TopicNames names;
    private final String epoch;
    private final Map<String, Object> clientProperties;
    private final Map<String, ChangeFeed> feeds = new ConcurrentHashMap<>();
    private final Set<Subscription> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger count = new AtomicInteger();
    private final Map<String, Integer> perKey = new ConcurrentHashMap<>();
    private final ExecutorService writers;
    /** Opens streams: a resume replays up to {@link ChangeFeed#MAX_REPLAY} changelog records, never on a request thread. */
    private final java.util.concurrent.ThreadPoolExecutor openers;
    private final ScheduledExecutorService keepAlive;
    private final Counter events;

    /**
     * @param keepAliveInterval how often an idle stream gets a comment line, so that proxies keep it and a client that
     *                          went away is noticed
     */
    public ChangeFeeds(final TopicNames names, final Map<String, Object> clientProperties, final MeterRegistry metrics,
                       final Duration keepAliveInterval) {
        this(names, "", clientProperties, metrics, keepAliveInterval);
    }

    /**
     * @param epoch what tells this topology version's event ids from another's ({@link ChangeEvent#id(String)}); empty
     *              in a cluster's first version
     */
    public ChangeFeeds(final TopicNames names, final String epoch, final Map<String, Object> clientProperties, final MeterRegistry metrics,
                       final Duration keepAliveInterval) {
        this.epoch = epoch;
        this.names = names;
        this.clientProperties = Map.copyOf(clientProperties);
        final AtomicInteger threads = new AtomicInteger();
        this.writers = Executors.newFixedThreadPool(8, r -> daemon(r, "persona-changes-writer-" + threads.incrementAndGet()));
        final AtomicInteger openerThreads = new AtomicInteger();
        this.openers = new java.util.concurrent.ThreadPoolExecutor(2, 2, 0, TimeUnit.MILLISECONDS, new java.util.concurrent.ArrayBlockingQueue<>(256),
                r -> daemon(r, "persona-changes-opener-" + openerThreads.incrementAndGet()));
        this.keepAlive = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "persona-changes-keep-alive"));
        keepAlive.scheduleAtFixedRate(() -> open.forEach(Subscription::keepAlive), keepAliveInterval.toMillis(), keepAliveInterval.toMillis(),
                TimeUnit.MILLISECONDS);
        Gauge.builder("persona_change_subscriptions", open, Set::size).description("open change streams").register(metrics);
        this.events = Counter.builder("persona_change_events_total").description("record writes handed to change streams").register(metrics);
    }

    private static Thread daemon(final Runnable r, final String name) {
        final Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * {@link #subscribe} on a thread of this instance's stream openers, so that a long replay holds no request thread.
     *
     * @return the open stream, or the failure {@link #subscribe} would have thrown; a
     * {@link ChangeFeedUnavailableException} when too many streams are opening at once
     */
    public java.util.concurrent.CompletableFuture<Subscription> subscribeAsync(final CollectionConfig collection, final String key,
                                                                              final Optional<ChangeEvent.Position> resume,
                                                                              final Supplier<byte[]> current, final OutputStream out,
                                                                              final Function<byte[], byte[]> render,
                                                                              final BooleanSupplier allowed, final String keyId) {
        final java.util.concurrent.CompletableFuture<Subscription> opened = new java.util.concurrent.CompletableFuture<>();
        try {
            openers.execute(() -> {
                try {
                    opened.complete(subscribe(collection, key, resume, current, out, render, allowed, keyId));
                } catch (final IOException | RuntimeException e) {
                    opened.completeExceptionally(e);
                }
            });
        } catch (final java.util.concurrent.RejectedExecutionException e) {
            opened.completeExceptionally(new ChangeFeedUnavailableException("too many change streams are opening on this instance; retry"));
        }
        return opened;
    }

    /** Where a client left off, from its {@code Last-Event-ID}; empty when it names no position of this version. */
    public Optional<ChangeEvent.Position> position(final String lastEventId) {
        return ChangeEvent.position(lastEventId, epoch);
    }

    /**
     * Opens a stream of the changes of the record {@code key} of {@code collection}, writing to {@code out}.
     *
     * @param resume  where a client that reconnects left off ({@code Last-Event-ID}), if it did
     * @param current the record as a lookup finds it now (its stored value, or null when there is none); called only
     *                when the stream does not resume
     * @param render  the JSON an event carries, from a stored value
     * @param allowed whether the client may still read it; checked before each write
     * @param keyId   the API key the stream is opened with
     * @throws ChangeFeedUnavailableException when the changelog cannot be read now, or too many streams are open
     * @throws TooManyStreamsException        when the key holds {@value #MAX_SUBSCRIPTIONS_PER_KEY} streams here already
     * @throws RuntimeException               what {@code current} throws, before anything is written
     */
    public Subscription subscribe(final CollectionConfig collection, final String key, final Optional<ChangeEvent.Position> resume,
                                  final Supplier<byte[]> current, final OutputStream out, final Function<byte[], byte[]> render,
                                  final BooleanSupplier allowed, final String keyId) throws IOException {
        if (!takeSlot(keyId)) {
            throw new TooManyStreamsException("this API key holds " + MAX_SUBSCRIPTIONS_PER_KEY + " change streams on this instance "
                    + "already; close one first");
        }
        if (count.incrementAndGet() > MAX_SUBSCRIPTIONS) {
            count.decrementAndGet();
            release(keyId);
            throw new ChangeFeedUnavailableException("this instance serves " + MAX_SUBSCRIPTIONS + " change streams already; "
                    + "retry on another instance or later");
        }
        final ChangeFeed feed;
        boolean registered = false;
        final Subscription subscription = new Subscription(key, out, stored -> {
            events.increment();
            return render.apply(stored);
        }, allowed, writers, epoch);
        try {
            feed = feed(collection);
            final int partitions = feed.awaitStarted(START_TIMEOUT);
            final int partition = KeyPartitions.of(key, partitions);
            feed.listen(key, subscription);
            subscription.ended().whenComplete((ok, e) -> {
                feed.unlisten(key, subscription);
                open.remove(subscription);
                count.decrementAndGet();
                release(keyId);
            });
            registered = true;
            final List<ChangeEvent> first = new ArrayList<>();
            long resumeFrom = -1;
            if (resume.isPresent() && resume.get().partition() == partition
                    && feed.replay(key, partition, resume.get().offset() + 1, START_TIMEOUT, first::add)) {
                resumeFrom = resume.get().offset();
            } else {
                first.clear();
                // Whatever the store holds was committed before this end offset: resuming from it misses nothing.
                final long end = feed.endOffset(partition, START_TIMEOUT);
                final byte[] stored = current.get();
                if (stored != null) {
                    first.add(new ChangeEvent(partition, end - 1, stored));
                }
            }
            subscription.begin(first, resumeFrom);
        } catch (final IOException | RuntimeException e) {
            if (!registered) {
                count.decrementAndGet();
                release(keyId);
            }
            subscription.end();
            throw e;
        }
        open.add(subscription);
        subscription.open();
        return subscription;
    }

    private boolean takeSlot(final String keyId) {
        final boolean[] taken = {false};
        perKey.compute(keyId, (k, n) -> {
            final int held = n == null ? 0 : n;
            if (held >= MAX_SUBSCRIPTIONS_PER_KEY) {
                return n;
            }
            taken[0] = true;
            return held + 1;
        });
        return taken[0];
    }

    private void release(final String keyId) {
        perKey.computeIfPresent(keyId, (k, n) -> n <= 1 ? null : n - 1);
    }

    private ChangeFeed feed(final CollectionConfig collection) {
        return feeds.compute(collection.name(), (name, feed) -> {
            if (feed != null && !feed.failed()) {
                return feed;
            }
            if (feed != null) {
                feed.close();
            }
            return new ChangeFeed(names.changelog(TopicNames.recordStore(collection)), clientProperties);
        });
    }

    @Override
    public void close() {
        open.forEach(Subscription::end);
        keepAlive.shutdownNow();
        openers.shutdownNow();
        feeds.values().forEach(feed -> {
            try {
                feed.close();
            } catch (final RuntimeException e) {
                LOG.warn("Closing a change feed failed", e);
            }
        });
        writers.shutdownNow();
    }
}
