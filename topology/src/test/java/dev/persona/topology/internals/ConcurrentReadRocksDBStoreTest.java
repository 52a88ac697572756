package dev.persona.topology.internals;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.internals.ConcurrentReadRocksDBStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConcurrentReadRocksDBStoreTest {
    private static final Bytes KEY = Bytes.wrap("42".getBytes(StandardCharsets.UTF_8));
    private static final byte[] VALUE = "{\"name\":\"Ada\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path stateDir;
    private ConcurrentReadRocksDBStore store;

    @BeforeEach
    void open() {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "concurrent-read-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        final MockProcessorContext<Object, Object> context = new MockProcessorContext<>(props, new TaskId(0, 0), stateDir.toFile());
        store = new ConcurrentReadRocksDBStore("records");
        store.init(context.getStateStoreContext(), store);
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void aReadIsAnsweredWhileTheStreamThreadHoldsTheStoreMonitor() throws Exception {
        store.put(KEY, VALUE);
        // Kafka Streams' put, delete and commit (which flushes the memtable) hold the store's monitor.
        synchronized (store) {
            final CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> store.get(KEY));
            assertArrayEquals(VALUE, read.get(30, TimeUnit.SECONDS), "a lookup waits for no write, flush or commit");
        }
    }

    @Test
    void aReadSeesWhatTheStreamThreadWrote() {
        store.put(KEY, VALUE);
        assertArrayEquals(VALUE, store.get(KEY));
        store.delete(KEY);
        assertNull(store.get(KEY), "a deleted key reads as absent");
    }

    @Test
    void aClosedStoreSaysSoInsteadOfReadingFreedMemory() {
        store.put(KEY, VALUE);
        store.close();
        assertThrows(InvalidStateStoreException.class, () -> store.get(KEY));
    }

    @Test
    void readsRacingACloseEitherReadOrAreToldTheStoreIsClosed() throws Exception {
        store.put(KEY, VALUE);
        final ExecutorService readers = Executors.newFixedThreadPool(4);
        final AtomicBoolean closing = new AtomicBoolean();
        final AtomicLong reads = new AtomicLong();
        try {
            final List<Future<?>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(readers.submit(() -> {
                    while (true) {
                        try {
                            assertArrayEquals(VALUE, store.get(KEY));
                            reads.incrementAndGet();
                        } catch (final InvalidStateStoreException expected) {
                            assertTrue(closing.get(), "only a closed store refuses a read");
                            return null;
                        }
                    }
                }));
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (reads.get() < 10_000 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            closing.set(true);
            store.close();
            for (final Future<?> result : results) {
                result.get(30, TimeUnit.SECONDS);
            }
        } finally {
            readers.shutdownNow();
        }
    }
}
