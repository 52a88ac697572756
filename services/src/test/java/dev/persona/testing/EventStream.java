package dev.persona.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Server-Sent Events client over a real connection, for tests: events are parsed as an EventSource parses them
 * (the {@code id}, {@code event} and {@code data} lines of a block; comment lines skipped) by a reader thread, and
 * taken one at a time with a deadline.
 */
public final class EventStream implements AutoCloseable {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Object END = new Object();

    /** One event: its id (null when it had none), name ({@code message} by default) and data. */
    public record Event(String id, String name, String data) {
    }

    private final HttpResponse<Stream<String>> response;
    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private final Thread reader;
    private volatile int comments;
    private final List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
    private volatile Throwable broken;

    private EventStream(final HttpResponse<Stream<String>> response) {
        this.response = response;
        this.reader = new Thread(this::read, "event-stream-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Opens a stream; the answer's status and headers are known when this returns.
     *
     * @param headers name, value, name, value...
     */
    public static EventStream open(final String url, final String... headers) {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream").GET();
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        try {
            return new EventStream(CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofLines()));
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public int status() {
        return response.statusCode();
    }

    public HttpResponse<Stream<String>> response() {
        return response;
    }

    /** Comment lines seen so far (keep-alives). */
    public int comments() {
        return comments;
    }

    /** The body of an answer that is not a stream (an error), read whole. */
    public String body() {
        final StringBuilder body = new StringBuilder();
        Object line;
        while ((line = poll(Duration.ofSeconds(10))) != null && line != END) {
            body.append(((Event) line).data());
        }
        return body.toString();
    }

    /**
     * The next event.
     *
     * @throws AssertionError when none comes within {@code timeout}, or the stream ended
     */
    public Event next(final Duration timeout) {
        final Object next = poll(timeout);
        if (next == null) {
            throw new AssertionError("no event within " + timeout);
        }
        if (next == END) {
            events.add(END);
            throw new AssertionError("the stream ended; it sent " + lines + (broken == null ? "" : ", then broke: " + broken));
        }
        return (Event) next;
    }

    /** The events that come within {@code window}, stopping early at the end of the stream. */
    public List<Event> drain(final Duration window) {
        final List<Event> seen = new ArrayList<>();
        final long deadline = System.nanoTime() + window.toNanos();
        while (System.nanoTime() < deadline) {
            final Object next = poll(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (next == END) {
                events.add(END);
                break;
            }
            if (next != null) {
                seen.add((Event) next);
            }
        }
        return seen;
    }

    /** Whether the server ended the stream within {@code timeout}, after any events still unread. */
    public boolean ended(final Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (poll(Duration.ofNanos(Math.max(1, deadline - System.nanoTime()))) == END) {
                events.add(END);
                return true;
            }
        }
        return false;
    }

    private Object poll(final Duration timeout) {
        try {
            return events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private void read() {
        final boolean stream = response.statusCode() == 200;
        String id = null;
        String name = null;
        StringBuilder data = null;
        try (Stream<String> lines = response.body()) {
            for (final String line : (Iterable<String>) lines::iterator) {
                this.lines.add(line);
                if (!stream) {
                    events.add(new Event(null, "body", line));
                } else if (line.isEmpty()) {
                    if (data != null) {
                        events.add(new Event(id, name == null ? "message" : name, data.toString()));
                    }
                    id = null;
                    name = null;
                    data = null;
                } else if (line.startsWith(":")) {
                    comments++;
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    name = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data = data == null ? new StringBuilder(line.substring(6)) : data.append('\n').append(line.substring(6));
                }
            }
        } catch (final RuntimeException e) {
            // The connection closed under the reader: the end of the stream.
            broken = e;
        } finally {
            events.add(END);
        }
    }

    @Override
    public void close() {
        response.body().close();
        reader.interrupt();
    }
}
