package dev.persona.ingest.query;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunControlTest {

    @Test
    void aRunStoppedBeforeItCommitsAbortsInsteadAndItsThreadIsInterrupted() {
        final RunControl control = new RunControl(Thread.currentThread(), "s");
        assertTrue(control.stop(RunControl.Stop.CANCELLED));
        assertTrue(Thread.interrupted(), "the run's thread was interrupted (and the flag is cleared here)");
        assertFalse(control.stop(RunControl.Stop.TIMED_OUT), "the first reason stands");
        assertSame(RunControl.Stop.CANCELLED, control.stopped());
        assertEquals("cancelled", assertThrows(RunFailure.class, control::commit).getMessage());
    }

    @Test
    void nothingStopsARunThatIsCommittingOrHasEnded() {
        final RunControl committing = new RunControl(Thread.currentThread(), "s");
        committing.commit();
        assertFalse(committing.stop(RunControl.Stop.TIMED_OUT));
        assertFalse(Thread.interrupted(), "no interrupt may reach commitTransaction");
        assertNull(committing.stopped());
        final RunControl ended = new RunControl(Thread.currentThread(), "s");
        ended.finished();
        assertFalse(ended.stop(RunControl.Stop.CANCELLED));
        assertFalse(Thread.interrupted());
    }
}
