package dev.persona.ingest.cdc;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PostgresPreflightTest {
    @Test
    void shouldExplainAWalLevelThatIsNotLogicalWithItsFix() {
        assertEquals(Optional.of("PostgreSQL has wal_level=replica; CDC needs logical. Fix: ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL"),
                PostgresPreflight.walLevelProblem("replica"));
        assertEquals(Optional.empty(), PostgresPreflight.walLevelProblem("logical"));
    }
}
