package dev.persona.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/** Waits for a condition by polling it until a deadline: the only way tests synchronise. */
public final class Poll {
    private static final Duration POLL_INTERVAL = Duration.ofMillis(25);
    private Poll() {
    }

    /**
     * Polls {@code probe} until it yields a value, and returns it.
     *
     * @throws AssertionError naming {@code what} when the deadline passes
     */
    public static <T> T until(final Duration timeout, final String what, final Supplier<Optional<T>> probe) {
        final Instant deadline = Instant.now().plus(timeout);
        RuntimeException last = null;
        while (Instant.now().isBefore(deadline)) {
            try {
                final Optional<T> value = probe.get();
                if (value.isPresent()) {
                    return value.get();
                }
            } catch (final RuntimeException e) {
                last = e;
            }
            pause();
        }
        final AssertionError error = new AssertionError("timed out after " + timeout.toSeconds() + "s waiting for " + what);
        if (last != null) {
            error.initCause(last);
        }
        throw error;
    }

    /** Polls {@code condition} until it is true. */
    public static void until(final Duration timeout, final String what, final java.util.function.BooleanSupplier condition) {
        until(timeout, what, () -> condition.getAsBoolean() ? Optional.of(Boolean.TRUE) : Optional.empty());
    }

    /** The back-off between two probes, not a synchronisation: the caller's condition decides when to go on. */
    private static void pause() {
        LockSupport.parkNanos(POLL_INTERVAL.toNanos());
        if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while polling");
        }
    }
}
