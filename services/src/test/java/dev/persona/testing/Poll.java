package dev.persona.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/** Waits for a condition by polling it until a deadline: the only way tests synchronise. */
public final class Poll {
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

    private static void pause() {
        try {
            // The polling interval, not a synchronisation: the caller's condition decides when to go on.
            Thread.sleep(25);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
