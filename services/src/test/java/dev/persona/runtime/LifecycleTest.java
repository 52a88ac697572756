package dev.persona.runtime;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LifecycleTest {
    @Test
    void shouldGoFromStartingThroughDrainingToStoppedAndNoWhereElse() {
        final Lifecycle lifecycle = new Lifecycle();
        assertEquals(Lifecycle.State.STARTING, lifecycle.state());
        assertThrows(IllegalStateException.class, () -> lifecycle.moveTo(Lifecycle.State.DRAINING), "a starting instance has nothing to drain");
        lifecycle.moveTo(Lifecycle.State.RUNNING);
        lifecycle.moveTo(Lifecycle.State.DRAINING);
        assertThrows(IllegalStateException.class, () -> lifecycle.moveTo(Lifecycle.State.RUNNING), "a stop is never undone");
        lifecycle.moveTo(Lifecycle.State.STOPPING);
        lifecycle.moveTo(Lifecycle.State.STOPPED);
        assertFalse(lifecycle.tryMoveTo(Lifecycle.State.STOPPING), "a second stop does nothing");
    }

    @Test
    void shouldLetAFailedStartStopAtOnce() {
        final Lifecycle lifecycle = new Lifecycle();
        assertTrue(lifecycle.tryMoveTo(Lifecycle.State.STOPPING));
        lifecycle.moveTo(Lifecycle.State.STOPPED);
        assertEquals(Lifecycle.State.STOPPED, lifecycle.state());
    }
}
