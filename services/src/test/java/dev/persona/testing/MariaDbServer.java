package dev.persona.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private MariaDB server for tests: the machine's {@code mariadbd} on a data directory of its own made by
 * {@code mariadb-install-db}, a free port on 127.0.0.1, the binary log on in ROW format with full row images, so
 * tests never depend on, or change, the machine's MariaDB. As root, the server runs as the unprivileged {@code mysql}
 * OS user. It has a database {@code test} and a user {@code persona} (password {@link #PASSWORD}) with every
 * privilege, replication included. One per JVM ({@link #shared}); with none to be had, tests are skipped, except
 * under {@code CI=true}, where that fails the build. The fault suite {@link #kill}s it and {@link #restart}s it on the
 * same data directory and port.
 */
public final class MariaDbServer implements AutoCloseable {
    /** The password of the {@code persona} user: tests look for it in every output, where it must never appear. */
    public static final String PASSWORD = "Mdb-planted-9f27x";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static MariaDbServer shared;

    private final Path dataDir;
    private final int port;
    private final List<String> command;
    private volatile Process process;

    private MariaDbServer(final Path dataDir, final int port, final List<String> command) {
        this.dataDir = dataDir;
        this.port = port;
        this.command = List.copyOf(command);
    }

    /** The server this JVM's tests share, started on first use. */
    public static synchronized MariaDbServer shared() {
        if (shared == null) {
            try {
                shared = start();
            } catch (final RuntimeException e) {
                final String message = "no MariaDB for the tests: " + e.getMessage();
                if ("true".equals(System.getenv("CI"))) {
                    throw new IllegalStateException(message, e);
                }
                System.err.println("Skipping: " + message);
                Assumptions.abort(message);
            }
        }
        return shared;
    }

    private static MariaDbServer start() {
        final Path daemon = Path.of("/usr/sbin/mariadbd");
        final Path install = Path.of("/usr/bin/mariadb-install-db");
        if (!Files.isExecutable(daemon) || !Files.isExecutable(install)) {
            throw new IllegalStateException("mariadbd or mariadb-install-db is not installed (Debian: apt-get install mariadb-server)");
        }
        final boolean root = "root".equals(System.getProperty("user.name"));
        try {
            final Path parent = Files.createTempDirectory("persona-test-mariadb");
            Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwxr-xr-x"));
            final Path data = parent.resolve("data");
            Files.createDirectory(data);
            if (root) {
                run(List.of("chown", "-R", "mysql:mysql", parent.toString()), Duration.ofSeconds(10));
            }
            run(asServerUser(root, List.of(install.toString(), "--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal",
                    "--skip-test-db", "--skip-name-resolve")), Duration.ofSeconds(120));
            final int port = freePort();
            final List<String> command = asServerUser(root, List.of(daemon.toString(), "--no-defaults", "--datadir=" + data, "--port=" + port,
                    "--bind-address=127.0.0.1", "--socket=" + data.resolve("mariadb.sock"), "--pid-file=" + data.resolve("mariadb.pid"),
                    "--skip-name-resolve", "--log-bin=" + data.resolve("binlog"), "--binlog-format=ROW", "--binlog-row-image=FULL",
                    "--server-id=1", "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M", "--skip-log-error"));
            final MariaDbServer server = new MariaDbServer(data, port, command);
            server.launch();
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "stop-test-mariadb"));
            server.awaitRoot();
            server.rootExecute("create database test", "create user 'persona'@'%' identified by '" + PASSWORD + "'",
                    "grant all privileges on *.* to 'persona'@'%' with grant option");
            return server;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create a MariaDB data directory: " + e.getMessage(), e);
        }
    }

    private void launch() throws IOException {
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.getParent().resolve("server.log").toFile())).start();
    }

    /**
     * Kills the server with SIGKILL, as a crash would: no shutdown, InnoDB recovers at the next start. The signal goes
     * to {@code mariadbd} itself (its pid file), not to the {@code runuser} that started it as the {@code mysql} user.
     */
    public void kill() {
        try {
            final String pid = Files.readString(dataDir.resolve("mariadb.pid")).trim();
            run(List.of("kill", "-9", pid), Duration.ofSeconds(10));
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("mariadbd " + pid + " still runs 30 s after kill -9");
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts the server again on its data directory and port, once it was killed; returns when it accepts connections. */
    public void restart() {
        if (process.isAlive()) {
            throw new IllegalStateException("MariaDB is running: kill() it first");
        }
        try {
            launch();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        awaitRoot();
    }

    private static void run(final List<String> command, final Duration timeout) {
        try {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeout.toSeconds() + " s");
            }
            final String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (" + process.exitValue() + "): " + output);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<String> asServerUser(final boolean root, final List<String> command) {
        final List<String> full = new ArrayList<>();
        if (root) {
            full.addAll(List.of("runuser", "-u", "mysql", "--"));
        }
        full.addAll(command);
        return full;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    /** Root exists only for the server's socket (root@localhost, no password): the mariadb client speaks for it. */
    private List<String> rootClient(final String sql) {
        return List.of("/usr/bin/mariadb", "--no-defaults", "--socket=" + dataDir.resolve("mariadb.sock"), "-u", "root", "-e", sql);
    }

    private void awaitRoot() {
        final long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("mariadbd exited with " + process.exitValue() + "; see " + dataDir.getParent().resolve("server.log"));
            }
            try {
                run(rootClient("select 1"), Duration.ofSeconds(10));
                return;
            } catch (final IllegalStateException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("MariaDB did not accept connections within " + START_TIMEOUT.toSeconds() + " s: " + e.getMessage());
                }
                java.util.concurrent.locks.LockSupport.parkNanos(100_000_000);
            }
        }
    }

    private void rootExecute(final String... statements) {
        run(rootClient(String.join("; ", statements)), Duration.ofSeconds(30));
    }

    /** A JDBC URL of database {@code test} as user {@code persona}, the password in it. */
    public String url() {
        return "jdbc:mariadb://127.0.0.1:" + port + "/test?user=persona&password=" + PASSWORD;
    }

    /** {@link #url()} with the password left to an environment variable, as a configuration holds it. */
    public String url(final String passwordVariable) {
        return "jdbc:mariadb://127.0.0.1:" + port + "/test?user=persona&password=${" + passwordVariable + "}";
    }

    public int port() {
        return port;
    }

    /** Runs statements on database {@code test}. */
    public void execute(final String... statements) {
        try (Connection db = DriverManager.getConnection(url()); Statement statement = db.createStatement()) {
            for (final String sql : statements) {
                statement.execute(sql);
            }
        } catch (final SQLException e) {
            throw new IllegalStateException("MariaDB: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
