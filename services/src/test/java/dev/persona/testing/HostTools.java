package dev.persona.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Programs from Debian's packages that some tests drive (promtool, docker-compose, chromium): found on the PATH, or
 * the test is skipped, except under {@code CI=true}, where a missing one fails the build (.ci/run installs them).
 */
public final class HostTools {
    private HostTools() {
    }

    /**
     * The path of {@code command}.
     *
     * @param debianPackage what provides it, for the message
     * @throws AssertionError under {@code CI=true} when it is missing
     */
    public static Path required(final String command, final String debianPackage) {
        for (final String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            final Path candidate = Path.of(dir, command);
            if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        final String install = "apt-get install -y " + debianPackage;
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError(command + " is not on the PATH: " + install + " (.ci/run does)");
        }
        Assumptions.abort(command + " is not installed (" + install + ")");
        return null;
    }
}
