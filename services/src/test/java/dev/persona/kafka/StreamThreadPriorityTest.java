package dev.persona.kafka;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class StreamThreadPriorityTest {

    private static String ownThreadId() throws Exception {
        return Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
    }

    /** A JVM started under nice is left as the operator set it: what a test lowers must start at 0. */
    private static void assumeDefaultPriority() throws Exception {
        assumeTrue(StreamThreadPriority.niceOfThread(ownThreadId()) == 0, "the tests run under nice: nothing is lowered then");
    }

    /** Runs {@code work} on a new thread (as a stream thread would) and answers that thread's nice value after it. */
    private static int niceAfter(final ThrowingRunnable work) throws Exception {
        final CompletableFuture<Integer> seen = new CompletableFuture<>();
        final Thread stream = new Thread(() -> {
            try {
                work.run();
                seen.complete(StreamThreadPriority.niceOfThread(ownThreadId()));
            } catch (final Exception e) {
                seen.completeExceptionally(e);
            }
        }, "test-StreamThread-1");
        stream.start();
        return seen.get(30, TimeUnit.SECONDS);
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void theCallingThreadRunsAtTheNiceValueAskedAndNoOtherThreadDoes() throws Exception {
        assumeDefaultPriority();
        final int before = StreamThreadPriority.niceOfThread(ownThreadId());
        assertEquals(7, niceAfter(() -> StreamThreadPriority.lowerCurrentThread(7)));
        assertEquals(before, StreamThreadPriority.niceOfThread(ownThreadId()), "only the stream thread is lowered");
    }

    @Test
    void theInterceptorLowersTheThreadThatPollsOnce() throws Exception {
        assumeDefaultPriority();
        assertEquals(5, niceAfter(() -> {
            try (StreamThreadPriority interceptor = new StreamThreadPriority()) {
                interceptor.configure(Map.of(StreamThreadPriority.NICE_CONFIG, "5"));
                interceptor.onConsume(org.apache.kafka.clients.consumer.ConsumerRecords.empty());
                interceptor.onConsume(org.apache.kafka.clients.consumer.ConsumerRecords.empty());
            }
        }));
    }

    /** A version that builds answers no lookups: its stream thread is lowered only once it is complete. */
    @Test
    void theInterceptorWaitsUntilItIsToldToLower() throws Exception {
        assumeDefaultPriority();
        final java.util.concurrent.atomic.AtomicBoolean complete = new java.util.concurrent.atomic.AtomicBoolean();
        final java.util.concurrent.atomic.AtomicInteger whileBuilding = new java.util.concurrent.atomic.AtomicInteger(-1);
        assertEquals(5, niceAfter(() -> {
            try (StreamThreadPriority interceptor = new StreamThreadPriority()) {
                interceptor.configure(Map.of(StreamThreadPriority.NICE_CONFIG, "5",
                        StreamThreadPriority.LOWER_WHEN_CONFIG, (java.util.function.BooleanSupplier) complete::get));
                interceptor.onConsume(org.apache.kafka.clients.consumer.ConsumerRecords.empty());
                whileBuilding.set(StreamThreadPriority.niceOfThread(ownThreadId()));
                complete.set(true);
                interceptor.onConsume(org.apache.kafka.clients.consumer.ConsumerRecords.empty());
            }
        }));
        assertEquals(0, whileBuilding.get(), "not lowered while the version builds");
    }

    @Test
    void theEnvironmentGivesANiceValueFromZeroToNineteen() {
        assertEquals(10, StreamThreadPriority.niceOf(Map.of()));
        assertEquals(0, StreamThreadPriority.niceOf(Map.of(StreamThreadPriority.ENVIRONMENT, "0")));
        assertEquals(19, StreamThreadPriority.niceOf(Map.of(StreamThreadPriority.ENVIRONMENT, " 19 ")));
        for (final String wrong : new String[]{"20", "-1", "low", "1.5"}) {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> StreamThreadPriority.niceOf(Map.of(StreamThreadPriority.ENVIRONMENT, wrong)));
            assertTrue(e.getMessage().contains("PERSONA_STREAM_NICE=" + wrong) && e.getMessage().contains("from 0"), e.getMessage());
        }
    }

    @Test
    void personaRefusesToStartWithANiceValueOutOfRangeNamingTheVariable() throws Exception {
        final ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.persona.cli.PersonaCommand", "serve", "--help");
        builder.environment().put(StreamThreadPriority.ENVIRONMENT, "25");
        builder.redirectErrorStream(true);
        final Process persona = builder.start();
        final String output = new String(persona.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(persona.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, persona.exitValue(), output);
        assertTrue(output.startsWith("persona: PERSONA_STREAM_NICE=25 is not a nice value: give a whole number from 0"), output);
    }
}
