package dev.persona.kafka;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BackoffTest {
    @Test
    void shouldDoubleUpToItsMaximumAndStartOverAfterASuccess() {
        final Backoff backoff = Backoff.standard();
        assertEquals(List.of(1L, 2L, 4L, 8L, 16L, 30L, 30L), IntStream.range(0, 7).mapToObj(i -> backoff.next().toSeconds()).toList());
        backoff.reset();
        assertEquals(Duration.ofSeconds(1), backoff.next());
    }

    @Test
    void shouldStopWaitingAtOnceWhenToldToStop() {
        final Backoff backoff = new Backoff(Duration.ofMinutes(10), Duration.ofMinutes(10));
        final long started = System.nanoTime();
        backoff.pause(() -> true);
        assertEquals(0, Duration.ofNanos(System.nanoTime() - started).toMinutes());
    }
}
