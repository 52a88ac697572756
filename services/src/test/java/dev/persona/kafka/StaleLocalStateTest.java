package dev.persona.kafka;

import dev.persona.testing.TempDirs;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A store copy away longer than the changelog keeps tombstones is rebuilt, not caught up past a purge it missed. */
class StaleLocalStateTest {

    private static Path task(final Path app, final String name, final Instant checkpointed) throws IOException {
        final Path task = Files.createDirectories(app.resolve(name).resolve("rocksdb"));
        if (checkpointed != null) {
            final Path checkpoint = Files.writeString(app.resolve(name).resolve(".checkpoint"), "0\n1\n");
            Files.setLastModifiedTime(checkpoint, FileTime.from(checkpointed));
        }
        return task.getParent();
    }

    @Test
    void shouldRemoveOnlyTheTaskDirectoriesCheckpointedBeforeTheTombstonesCouldGo() throws IOException {
        final Path app = Files.createTempDirectory("persona-stale-state");
        try {
            final Instant now = Instant.parse("2026-12-06T12:00:00Z");
            final Path old = task(app, "0_0", now.minus(Duration.ofHours(7)));
            final Path recent = task(app, "0_1", now.minus(Duration.ofHours(5)));
            final Path uncheckpointed = task(app, "0_2", null);
            assertEquals(1, StaleLocalState.remove(app, Duration.ofHours(6), now));
            assertFalse(Files.exists(old), "away longer than delete.retention.ms: rebuilt from the changelog");
            assertTrue(Files.exists(recent), "within it: caught up as usual");
            assertTrue(Files.exists(uncheckpointed), "no checkpoint: Kafka Streams restores it anyway");
            assertEquals(0, StaleLocalState.remove(app.resolve("missing"), Duration.ofHours(6), now), "no state yet");
        } finally {
            TempDirs.delete(app);
        }
    }
}
