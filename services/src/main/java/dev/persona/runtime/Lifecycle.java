package dev.persona.runtime;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The life of a {@link PersonaInstance}, one state at a time with guarded moves, in the manner of Debezium's engine:
 * {@code STARTING -> RUNNING -> DRAINING -> STOPPING -> STOPPED}; a failed start and a crash-like stop skip ahead
 * to {@code STOPPING}. An illegal move throws {@link IllegalStateException}.
 */
final class Lifecycle {
    /** The states; every state but {@code STARTING} and {@code RUNNING} means readiness is off. */
    enum State {
        STARTING, RUNNING, DRAINING, STOPPING, STOPPED
    }

    private static final Map<State, Set<State>> ALLOWED = Map.of(
            State.STARTING, EnumSet.of(State.RUNNING, State.STOPPING),
            State.RUNNING, EnumSet.of(State.DRAINING, State.STOPPING),
            State.DRAINING, EnumSet.of(State.STOPPING),
            State.STOPPING, EnumSet.of(State.STOPPED),
            State.STOPPED, EnumSet.noneOf(State.class));

    private final AtomicReference<State> state = new AtomicReference<>(State.STARTING);

    State state() {
        return state.get();
    }

    /**
     * Moves to {@code next}.
     *
     * @throws IllegalStateException when {@code next} cannot follow the current state
     */
    void moveTo(final State next) {
        final State current = state.get();
        if (!ALLOWED.get(current).contains(next) || !state.compareAndSet(current, next)) {
            throw new IllegalStateException("an instance that is " + current + " cannot become " + next);
        }
    }

    /** Moves to {@code next} when that is legal now, and says whether it did (for stops that may come twice). */
    boolean tryMoveTo(final State next) {
        final State current = state.get();
        return ALLOWED.get(current).contains(next) && state.compareAndSet(current, next);
    }
}
