package dev.persona.kafka;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The wait between two attempts of a background loop that failed: {@code first}, doubling up to {@code max}, back to
 * {@code first} once an attempt succeeds. Waits in short slices, so a loop being closed stops waiting at once.
 * Safe to share between the thread that fails and the one that succeeds.
 */
public final class Backoff {
    private static final long SLICE_NANOS = Duration.ofMillis(50).toNanos();

    private final Duration first;
    private final Duration max;
    private Duration next;

    public Backoff(final Duration first, final Duration max) {
        this.first = first;
        this.max = max;
        this.next = first;
    }

    /** The usual background backoff: 1 s doubling to 30 s. */
    public static Backoff standard() {
        return new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
    }

    /** The wait before the next attempt; the one after it is twice as long, up to the maximum. */
    public synchronized Duration next() {
        final Duration wait = next;
        next = next.multipliedBy(2).compareTo(max) > 0 ? max : next.multipliedBy(2);
        return wait;
    }

    /** After a success: the next failure waits {@code first} again. */
    public synchronized void reset() {
        next = first;
    }

    /** Waits {@link #next()}, or less when {@code stop} turns true or the thread is interrupted. */
    public void pause(final BooleanSupplier stop) {
        final long deadline = System.nanoTime() + next().toNanos();
        while (!stop.getAsBoolean() && !Thread.currentThread().isInterrupted() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(Math.min(SLICE_NANOS, deadline - System.nanoTime()));
        }
    }
}
