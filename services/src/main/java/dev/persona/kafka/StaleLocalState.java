package dev.persona.kafka;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Local copies of store partitions too old to catch up safely. A copy catches up by reading its changelog from the
 * offset it checkpointed; a deletion whose tombstone the cleaner removed in the meantime ({@code delete.retention.ms},
 * {@link ErasureWindow#deleteRetention()}) would never reach it, and a purged record would live on in it. So a task
 * directory whose checkpoint is older than that is removed before Kafka Streams starts, which then restores the
 * partition from its changelog as it is now. Under exactly-once, Streams writes the checkpoint when a task closes
 * cleanly, so its age is how long the copy has been away.
 */
public final class StaleLocalState {
    private static final Logger LOG = LoggerFactory.getLogger(StaleLocalState.class);
    private static final String CHECKPOINT = ".checkpoint";

    private StaleLocalState() {
    }

    /**
     * Removes the task directories of {@code applicationDir} whose checkpoint is older than {@code maxAge} at {@code now}.
     *
     * @return how many were removed
     */
    public static int remove(final Path applicationDir, final Duration maxAge, final Instant now) {
        if (!Files.isDirectory(applicationDir)) {
            return 0;
        }
        int removed = 0;
        try (Stream<Path> tasks = Files.list(applicationDir)) {
            for (final Path task : tasks.filter(Files::isDirectory).toList()) {
                final Path checkpoint = task.resolve(CHECKPOINT);
                if (!Files.exists(checkpoint)) {
                    continue;
                }
                final FileTime written = Files.getLastModifiedTime(checkpoint);
                if (written.toInstant().plus(maxAge).isBefore(now)) {
                    LOG.info("Rebuilding {} from its changelog: its copy is from {}, older than the changelog keeps deletions ({})",
                            task.getFileName(), written, maxAge);
                    delete(task);
                    removed++;
                }
            }
        } catch (final IOException e) {
            LOG.warn("Could not look for stale store copies in {}: {}", applicationDir, e.getMessage());
        }
        return removed;
    }

    private static void delete(final Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (final Path path : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
