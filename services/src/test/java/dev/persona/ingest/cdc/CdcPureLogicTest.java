package dev.persona.ingest.cdc;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What CDC decides without a database: the replica-identity rule and reading raw Debezium events. */
class CdcPureLogicTest {
    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldAcceptAReplicaIdentityThatCarriesTheSyncsKey() {
        assertEquals(Optional.empty(), PostgresPreflight.replicaIdentityProblem("public.t", "id", "d", List.of("id")));
        assertEquals(Optional.empty(), PostgresPreflight.replicaIdentityProblem("public.t", "email", "f", List.of()));
        assertEquals(Optional.empty(), PostgresPreflight.replicaIdentityProblem("public.t", "email", "i", List.of("email", "tenant")));
    }

    @Test
    void shouldRefuseAReplicaIdentityWhoseDeletesWouldCarryNoKeyWithTheFix() {
        assertEquals(Optional.of("table public.t's replica identity carries no column of a deleted row, not the sync's primaryKey 'id', so deletes "
                + "would arrive without a key and be lost. Fix: ALTER TABLE public.t REPLICA IDENTITY FULL; or key the sync on the table's primary key"),
                PostgresPreflight.replicaIdentityProblem("public.t", "id", "d", List.of()));
        assertTrue(PostgresPreflight.replicaIdentityProblem("public.t", "id", "n", List.of()).orElseThrow().contains("carries no column"));
        assertTrue(PostgresPreflight.replicaIdentityProblem("public.t", "email", "d", List.of("pk")).orElseThrow()
                .endsWith("(primaryKey: pk)"));
    }

    @Test
    void shouldTellATruncateAndReadTheLsnOfRawEvents() {
        assertTrue(CdcEvents.isTruncate(utf8("{\"op\":\"t\",\"source\":{\"lsn\":42}}")));
        assertTrue(CdcEvents.isTruncate(utf8("{\"schema\":{},\"payload\":{\"op\":\"t\"}}")));
        assertFalse(CdcEvents.isTruncate(utf8("{\"op\":\"u\"}")));
        assertFalse(CdcEvents.isTruncate(utf8("{not json")));
        assertEquals(42L, CdcEvents.lsn(utf8("{\"op\":\"t\",\"source\":{\"lsn\":42}}")));
        assertNull(CdcEvents.lsn(utf8("{\"op\":\"t\"}")));
        assertNull(CdcEvents.lsn(null));
    }
}
