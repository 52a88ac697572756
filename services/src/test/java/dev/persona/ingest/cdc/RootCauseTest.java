package dev.persona.ingest.cdc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a failed CDC run's error says: the innermost cause with a message, not Debezium's wrapper. */
class RootCauseTest {

    @Test
    void shouldNameTheInnermostCauseThatSaysSomething() {
        final Exception parse = new IllegalArgumentException("DDL statement couldn't be parsed: 'create table t (u uuid)'");
        final Exception wrapped = new RuntimeException("An exception occurred in the change event producer. This connector will be stopped.",
                new RuntimeException(new RuntimeException(parse)));
        assertEquals("DDL statement couldn't be parsed: 'create table t (u uuid)'", CdcSyncWorker.rootCause(wrapped));
    }

    @Test
    void shouldKeepTheOuterMessageWhenNoCauseHasOneAndCutLongOnes() {
        assertEquals("stopped", CdcSyncWorker.rootCause(new RuntimeException("stopped", new RuntimeException((String) null))));
        assertEquals("IllegalStateException", CdcSyncWorker.rootCause(new IllegalStateException()));
        final String cut = CdcSyncWorker.rootCause(new RuntimeException("x".repeat(5_000)));
        assertTrue(cut.length() <= 1_001 && cut.endsWith("…"), cut.length() + " characters");
    }
}
