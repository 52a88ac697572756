package dev.persona.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private PostgreSQL cluster for tests: its own data directory, a free port on 127.0.0.1, {@code wal_level=logical}
 * and trust authentication, so tests never depend on, or change, the machine's PostgreSQL. Tests may stop, kill and
 * restart it (the fault suite does).
 * <p>
 * Its binaries come from an installed server ({@code PERSONA_TEST_POSTGRES_BIN}, {@code pg_config --bindir}, or
 * {@code /usr/lib/postgresql/<newest>/bin}), or else from zonky's embedded binaries on the test class path
 * ({@code PERSONA_TEST_POSTGRES_BIN=embedded} chooses them even where a server is installed). PostgreSQL
 * refuses to run as root: as root, every server command runs as the unprivileged {@code postgres} OS user (or
 * {@code nobody} where there is none) through {@code runuser}.
 */
public final class PostgresCluster implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Path bin;
    private final Path dataDir;
    private final int port;
    private final Optional<String> runAs;

    private PostgresCluster(final Path bin, final Path dataDir, final int port, final Optional<String> runAs) {
        this.bin = bin;
        this.dataDir = dataDir;
        this.port = port;
        this.runAs = runAs;
    }

    /**
     * Creates and starts a cluster with database {@code test}.
     *
     * @throws IllegalStateException naming what is missing, when no PostgreSQL binaries can be found or it fails to start
     */
    public static PostgresCluster start() {
        final Path bin = binaries().orElseThrow(() -> new IllegalStateException(
                "no PostgreSQL binaries: install PostgreSQL (Debian: apt-get install postgresql), set PERSONA_TEST_POSTGRES_BIN to its bin "
                        + "directory, or set PERSONA_TEST_POSTGRES_URL to a server with wal_level=logical"));
        final Optional<String> runAs = isRoot() ? Optional.of(unprivilegedUser()) : Optional.empty();
        try {
            final Path parent = Files.createTempDirectory("persona-test-pg");
            Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwxr-xr-x"));
            final Path data = parent.resolve("data");
            Files.createDirectory(data, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            if (runAs.isPresent()) {
                run(List.of("chown", "-R", runAs.get(), parent.toString()), Duration.ofSeconds(10));
            }
            final PostgresCluster cluster = new PostgresCluster(bin, data, freePort(), runAs);
            cluster.server(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "postgres", "-A", "trust",
                    "-E", "UTF8", "--locale=C", "--no-sync"), Duration.ofSeconds(120));
            cluster.configure();
            cluster.begin();
            cluster.awaitReady();
            try (Connection db = DriverManager.getConnection(cluster.url("postgres"))) {
                db.createStatement().execute("create database test");
            }
            Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "stop-test-postgres"));
            return cluster;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create a PostgreSQL cluster: " + e.getMessage(), e);
        } catch (final SQLException e) {
            throw new IllegalStateException("PostgreSQL started but refused a connection: " + e.getMessage(), e);
        }
    }

    /** The JDBC URL of database {@code test}, user included. */
    public String url() {
        return url("test");
    }

    public int port() {
        return port;
    }

    private String url(final String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=postgres";
    }

    /** Stops the server cleanly (fast shutdown: open sessions are ended). */
    public void stop() {
        if (Files.exists(dataDir.resolve("postmaster.pid"))) {
            server(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "fast", "-w", "stop"), Duration.ofSeconds(60));
        }
    }

    /** Kills the postmaster with SIGKILL, as a crash would; its backends exit when they notice. */
    public void kill() {
        final Optional<Long> pid = postmasterPid();
        pid.flatMap(ProcessHandle::of).ifPresent(process -> {
            process.destroyForcibly();
            Poll.until(Duration.ofSeconds(30), "the killed postmaster to exit", () -> !process.isAlive());
        });
    }

    /** Starts the server again on the same port and data (after {@link #stop} or {@link #kill}); returns once it answers. */
    public void restart() {
        // After a kill -9 the old backends may hold the shared memory for a moment: PostgreSQL refuses to start then.
        Poll.until(START_TIMEOUT, "PostgreSQL to start again", () -> {
            try {
                begin();
                return true;
            } catch (final IllegalStateException e) {
                return false;
            }
        });
        awaitReady();
    }

    private Optional<Long> postmasterPid() {
        try {
            final List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (final IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private void configure() throws IOException {
        final String settings = String.join("\n",
                "", "# persona test cluster",
                "port = " + port,
                "listen_addresses = '127.0.0.1'",
                "unix_socket_directories = '" + dataDir + "'",
                "wal_level = logical",
                "max_wal_senders = 20",
                "max_replication_slots = 20",
                "max_connections = 100",
                "shared_buffers = 32MB",
                "fsync = off",
                "synchronous_commit = off",
                "full_page_writes = off",
                "");
        // The data directory belongs to the server's user: append through it.
        server(List.of("sh", "-c", "cat >> '" + dataDir.resolve("postgresql.conf") + "'"), Duration.ofSeconds(10), settings);
    }

    private void begin() {
        server(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-l", dataDir.resolve("server.log").toString(),
                "-w", "-t", "30", "start"), START_TIMEOUT);
    }

    private void awaitReady() {
        Poll.until(START_TIMEOUT, "PostgreSQL on port " + port + " to accept connections", () -> {
            try (Connection ignored = DriverManager.getConnection(url("postgres"))) {
                return true;
            } catch (final SQLException e) {
                return false;
            }
        });
    }

    private void server(final List<String> command, final Duration timeout) {
        server(command, timeout, null);
    }

    private void server(final List<String> command, final Duration timeout, final String input) {
        final List<String> full = new ArrayList<>();
        runAs.ifPresent(user -> full.addAll(List.of("runuser", "-u", user, "--")));
        full.addAll(command);
        run(full, timeout, input);
    }

    private static String run(final List<String> command, final Duration timeout) {
        return run(command, timeout, null);
    }

    private static String run(final List<String> command, final Duration timeout, final String input) {
        try {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (input != null) {
                process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
            }
            process.getOutputStream().close();
            // pg_ctl start leaves the server holding our pipe: read what is there once the command itself ends.
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeout.toSeconds() + "s");
            }
            final InputStream output = process.getInputStream();
            final String text = new String(output.readNBytes(Math.max(0, output.available())), StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): " + text.strip());
            }
            return text;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command.get(0), e);
        }
    }

    private static Optional<Path> binaries() {
        final String given = System.getenv("PERSONA_TEST_POSTGRES_BIN");
        if ("embedded".equals(given)) {
            return EmbeddedPostgresBinaries.extract();
        }
        if (given != null && !given.isBlank()) {
            return Optional.of(Path.of(given));
        }
        try {
            final Path fromPgConfig = Path.of(run(List.of("pg_config", "--bindir"), Duration.ofSeconds(10)).strip());
            if (Files.isExecutable(fromPgConfig.resolve("initdb"))) {
                return Optional.of(fromPgConfig);
            }
        } catch (final RuntimeException e) {
            // No pg_config on the PATH: look further.
        }
        final Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                final Optional<Path> newest = versions.filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
                        .max(Comparator.comparingInt(PostgresCluster::majorVersion));
                if (newest.isPresent()) {
                    return Optional.of(newest.get().resolve("bin"));
                }
            } catch (final IOException e) {
                // Unreadable: look further.
            }
        }
        return EmbeddedPostgresBinaries.extract();
    }

    private static int majorVersion(final Path dir) {
        try {
            return Integer.parseInt(dir.getFileName().toString());
        } catch (final NumberFormatException e) {
            return -1;
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static String unprivilegedUser() {
        try {
            run(List.of("id", "-u", "postgres"), Duration.ofSeconds(5));
            return "postgres";
        } catch (final RuntimeException e) {
            return "nobody";
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the server and removes its data. */
    @Override
    public void close() {
        try {
            stop();
        } catch (final RuntimeException e) {
            kill();
        }
        TempDirs.delete(dataDir.getParent());
    }
}
