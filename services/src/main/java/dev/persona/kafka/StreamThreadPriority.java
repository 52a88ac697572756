package dev.persona.kafka;

import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs each stream thread at a lower CPU priority than the threads that answer lookups (Linux's nice value, 10 by
 * default), so that on a busy machine a lookup is answered before the merge's next batch is processed. A lookup
 * needs the CPU for tens of microseconds and sits in an app's request path; the merge's work can wait for it
 * without losing anything (it only falls behind by as long). On 2 cores, lookups at ~8,700 req/s while 10,000
 * change rows a second were merged had a p99 of 8.8-11.9 ms with the stream thread at the HTTP threads' priority
 * and 5.8-7.8 ms below it, the merge keeping up either way (bench/run suite --phases tails, alternated). When
 * lookups alone take every core the merge still runs, at about a tenth of a busy HTTP thread's share: lower
 * {@code PERSONA_STREAM_NICE} (0 turns this off) where freshness matters more than lookups' tails.
 * <p>
 * It is the main consumer's interceptor because the consumer's {@code poll} runs on the stream thread, and Kafka
 * Streams offers no other hook there; the first poll that returns records lowers the thread once. Java cannot set a
 * thread's nice value, so {@code renice} (util-linux, busybox) does, for the thread's own id; raising one's own
 * nice value needs no privilege. A JVM whose threads are already niced (the operator's choice) is left as it is.
 * <p>
 * An instance whose topology version still builds answers no lookups: its stream threads have nothing to yield to,
 * and they catch up beside the running version's on the same machine. They are lowered once {@link #LOWER_WHEN_CONFIG}
 * says so (the version is complete), not at their first records.
 */
public final class StreamThreadPriority implements ConsumerInterceptor<byte[], byte[]> {
    /** The consumer property that carries the nice value to the interceptor. */
    public static final String NICE_CONFIG = "persona.stream.thread.nice";
    /** The environment variable an operator sets it with. */
    public static final String ENVIRONMENT = "PERSONA_STREAM_NICE";
    static final int DEFAULT_NICE = 10;
    /** The consumer property that carries a {@link java.util.function.BooleanSupplier}: lower the thread once it is true. */
    public static final String LOWER_WHEN_CONFIG = "persona.stream.thread.lowerWhen";
    private static final Logger LOG = LoggerFactory.getLogger(StreamThreadPriority.class);

    private int nice = DEFAULT_NICE;
    private boolean lowered;
    private java.util.function.BooleanSupplier lowerWhen = () -> true;

    /**
     * The nice value for stream threads that {@code environment} asks for.
     *
     * @throws IllegalArgumentException when {@link #ENVIRONMENT} is not a whole number from 0 to 19
     */
    public static int niceOf(final Map<String, String> environment) {
        final String value = environment.get(ENVIRONMENT);
        if (value == null || value.isBlank()) {
            return DEFAULT_NICE;
        }
        try {
            final int nice = Integer.parseInt(value.trim());
            if (nice >= 0 && nice <= 19) {
                return nice;
            }
        } catch (final NumberFormatException notANumber) {
            // Reported below.
        }
        throw new IllegalArgumentException(ENVIRONMENT + "=" + value + " is not a nice value: give a whole number from 0 (stream threads at the "
                + "HTTP threads' priority) to 19 (lowest), or unset it for " + DEFAULT_NICE);
    }

    @Override
    public void configure(final Map<String, ?> configs) {
        final Object configured = configs.get(NICE_CONFIG);
        if (configured != null) {
            nice = Integer.parseInt(configured.toString());
        }
        if (configs.get(LOWER_WHEN_CONFIG) instanceof java.util.function.BooleanSupplier when) {
            lowerWhen = when;
        }
    }

    @Override
    public ConsumerRecords<byte[], byte[]> onConsume(final ConsumerRecords<byte[], byte[]> records) {
        if (!lowered && lowerWhen.getAsBoolean()) {
            lowered = true;
            lowerCurrentThread(nice);
        }
        return records;
    }

    /** Sets the calling thread's nice value to {@code nice} when it is at 0; logs what it did, never throws. */
    static void lowerCurrentThread(final int nice) {
        if (nice == 0) {
            return;
        }
        final String thread = Thread.currentThread().getName();
        try {
            final Path self = Files.readSymbolicLink(Path.of("/proc/thread-self"));
            final String tid = self.getFileName().toString();
            final int current = niceOfThread(tid);
            if (current != 0) {
                LOG.info("Stream thread {} already runs at nice {}: left as it is", thread, current);
                return;
            }
            // util-linux before 2.40 takes -n as the new value, later ones and busybox as an increment: from 0 they agree.
            final Process renice = new ProcessBuilder("renice", "-n", Integer.toString(nice), "-p", tid).redirectErrorStream(true).start();
            if (!renice.waitFor(5, TimeUnit.SECONDS)) {
                renice.destroyForcibly();
                LOG.warn("Could not lower stream thread {} to nice {} (renice did not finish in 5 s); it competes with lookups for the CPU as an equal",
                        thread, nice);
                return;
            }
            final String output = new String(renice.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (renice.exitValue() != 0 || niceOfThread(tid) != nice) {
                LOG.warn("Could not lower stream thread {} to nice {} ({}); it competes with lookups for the CPU as an equal", thread, nice, output);
                return;
            }
            LOG.info("Stream thread {} runs at nice {}, below the threads that answer lookups ({} to change)", thread, nice, ENVIRONMENT);
        } catch (final IOException | UnsupportedOperationException e) {
            LOG.warn("Could not lower stream thread {} to nice {} (no /proc/thread-self or renice here: {}); it competes with lookups for the CPU "
                    + "as an equal", thread, nice, e.getMessage());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The nice value of thread {@code tid} of this process, from {@code /proc/self/task/<tid>/stat}. */
    static int niceOfThread(final String tid) throws IOException {
        final String stat = Files.readString(Path.of("/proc/self/task", tid, "stat"));
        // The command name in parentheses may hold spaces: fields are counted from its closing parenthesis (field 2).
        final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(fields[19 - 3]);
    }

    @Override
    public void onCommit(final Map<TopicPartition, OffsetAndMetadata> offsets) {
    }

    @Override
    public void close() {
    }
}
