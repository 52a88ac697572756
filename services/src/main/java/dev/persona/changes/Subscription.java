package dev.persona.changes;

import dev.persona.topology.StoredRecord;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * One client's stream of one record's changes, written as Server-Sent Events: {@code record} with the record as a
 * lookup shows it, {@code deleted} when it goes, each with the changelog position as its id.
 *
 * <p>Until {@link #open} it holds what the feed hands it while the first events (the current record, or a replay
 * from a resume point) are written; then it writes in changelog order, on a shared executor, so that the feed's
 * thread never waits on a client. A write the client would not see as a change (the same revision, an older one,
 * the same projected fields, a delete of what it never saw) is skipped. A client that falls more than
 * {@value #MAX_QUEUED} events behind is disconnected: it reconnects with {@code Last-Event-ID} and misses nothing.
 */
public final class Subscription implements ChangeFeed.Listener {
    static final int MAX_QUEUED = 1_000;
    private static final Object KEEP_ALIVE = new Object();

    private enum Seen { UNKNOWN, PRESENT, ABSENT }

    private final String key;
    private final OutputStream out;
    private final Function<byte[], byte[]> render;
    private final BooleanSupplier allowed;
    private final Executor executor;
    /** What tells this topology version's event ids from another's. */
    private final String epoch;
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    private final List<ChangeEvent> held = new ArrayList<>();
    private boolean open;
    private boolean draining;
    // Written by one thread at a time: the request thread before open(), the executor's drain after.
    private long lastOffset = -1;
    private long lastRevision = -1;
    private byte[] lastRendered;
    private Seen seen = Seen.UNKNOWN;

    /**
     * @param key      the record's primary key
     * @param out      the response body
     * @param render   the record JSON a lookup with the client's shape answers, from a stored value
     * @param allowed  whether the client's key still may read the record (false ends the stream)
     * @param executor where events are written
     */
    Subscription(final String key, final OutputStream out, final Function<byte[], byte[]> render, final BooleanSupplier allowed,
                 final Executor executor, final String epoch) {
        this.epoch = epoch;
        this.key = key;
        this.out = out;
        this.render = render;
        this.allowed = allowed;
        this.executor = executor;
    }

    /** Completes when the stream ends, for whatever reason. */
    public CompletableFuture<Void> ended() {
        return ended;
    }

    @Override
    public void changed(final ChangeEvent event) {
        enqueue(event);
    }

    void keepAlive() {
        enqueue(KEEP_ALIVE);
    }

    private void enqueue(final Object item) {
        final boolean start;
        synchronized (this) {
            if (ended.isDone()) {
                return;
            }
            if (!open) {
                if (item instanceof ChangeEvent event) {
                    held.add(event);
                }
                if (held.size() <= MAX_QUEUED) {
                    return;
                }
            } else {
                queue.add(item);
            }
            if (queue.size() > MAX_QUEUED || held.size() > MAX_QUEUED) {
                queue.clear();
                held.clear();
                start = false;
                executor.execute(this::end);
            } else {
                start = !draining;
                draining = true;
            }
        }
        if (start) {
            executor.execute(this::drain);
        }
    }

    /**
     * Writes the stream's first lines and the events the client starts from, before any change: the current record
     * (or nothing, when there is none) for a new stream, the writes after its resume point for one that resumes.
     *
     * @param first      the events to write first, in changelog order
     * @param resumeFrom the offset of the last event the client received, or -1
     */
    void begin(final List<ChangeEvent> first, final long resumeFrom) throws IOException {
        out.write("retry: 1000\n\n".getBytes(StandardCharsets.UTF_8));
        if (resumeFrom >= 0) {
            lastOffset = resumeFrom;
        } else if (first.isEmpty()) {
            seen = Seen.ABSENT;
        }
        for (final ChangeEvent event : first) {
            write(event);
        }
        out.flush();
    }

    /** Writes what was held, in order, and from now on every change as it comes. */
    void open() {
        synchronized (this) {
            open = true;
            queue.addAll(held);
            held.clear();
            if (queue.isEmpty() || draining) {
                return;
            }
            draining = true;
        }
        executor.execute(this::drain);
    }

    private void drain() {
        try {
            while (true) {
                final Object item;
                synchronized (this) {
                    item = queue.poll();
                    if (item == null || ended.isDone()) {
                        draining = false;
                        return;
                    }
                }
                if (!allowed.getAsBoolean()) {
                    end();
                    return;
                }
                if (item == KEEP_ALIVE) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                } else {
                    write((ChangeEvent) item);
                }
                synchronized (this) {
                    if (queue.isEmpty()) {
                        out.flush();
                    }
                }
            }
        } catch (final IOException | RuntimeException e) {
            // The client went away (or its stream broke): nothing else to tell it.
            end();
        }
    }

    private void write(final ChangeEvent event) throws IOException {
        if (event.offset() >= 0 && event.offset() <= lastOffset) {
            return;
        }
        if (event.offset() >= 0) {
            lastOffset = event.offset();
        }
        if (!event.present()) {
            if (seen == Seen.ABSENT) {
                return;
            }
            seen = Seen.ABSENT;
            lastRevision = -1;
            lastRendered = null;
            writeEvent("deleted", event, ("{\"id\":" + jsonString(key) + "}").getBytes(StandardCharsets.UTF_8));
            return;
        }
        final long revision = StoredRecord.revision(event.stored());
        if (seen == Seen.PRESENT && revision <= lastRevision) {
            return;
        }
        final byte[] rendered = render.apply(event.stored());
        final boolean same = seen == Seen.PRESENT && Arrays.equals(rendered, lastRendered);
        seen = Seen.PRESENT;
        lastRevision = revision;
        lastRendered = rendered;
        if (!same) {
            writeEvent("record", event, rendered);
        }
    }

    private void writeEvent(final String name, final ChangeEvent event, final byte[] data) throws IOException {
        final StringBuilder head = new StringBuilder(48);
        if (event.offset() >= 0) {
            head.append("id: ").append(event.id(epoch)).append('\n');
        }
        head.append("event: ").append(name).append("\ndata: ");
        out.write(head.toString().getBytes(StandardCharsets.UTF_8));
        // Compact JSON has no raw line breaks: one data line.
        out.write(data);
        out.write('\n');
        out.write('\n');
    }

    private static String jsonString(final String text) {
        return "\"" + new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(text)) + "\"";
    }

    /** Ends the stream: the client sees the connection close. */
    void end() {
        synchronized (this) {
            queue.clear();
            held.clear();
        }
        ended.complete(null);
    }
}
