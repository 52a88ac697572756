package dev.persona.bench.suite;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A Persona instance in a JVM of its own ({@code persona serve}), as users run it: its memory is its own to
 * measure and the load generator is outside it.
 */
final class ChildInstance implements AutoCloseable {
    static final String ADMIN_KEY = "bench-admin-key-0001";

    private final Process process;
    private final int port;
    private final Path log;

    private ChildInstance(final Process process, final int port, final Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts {@code persona serve} with {@code config}; {@code jvmOptions} as a user would give them in
     * {@code PERSONA_JAVA_OPTS}.
     */
    static ChildInstance start(final Path config, final Path home, final String name, final List<String> jvmOptions) throws IOException {
        final int port = freePort();
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.persona.cli.PersonaCommand",
                "serve", "--config", config.toString(), "--port", Integer.toString(port),
                "--state-dir", home.resolve("state-" + name).toString(), "--host", "127.0.0.1", "--advertised-host", "127.0.0.1",
                "--drain-seconds", "0"));
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("PERSONA_ADMIN_KEY", ADMIN_KEY);
        // As the persona launcher sets it: RocksDB reads from many HTTP threads would otherwise each grow a glibc
        // malloc arena of their own.
        builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
        builder.environment().put("PERSONA_HOME", home.toString());
        final Path log = home.resolve(name + ".log");
        builder.redirectErrorStream(true).redirectOutput(log.toFile());
        return new ChildInstance(builder.start(), port, log);
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    /** Waits until {@code /readyz} answers 200. */
    ChildInstance awaitReady(final Duration timeout) throws InterruptedException {
        return await("/readyz", timeout);
    }

    /** Waits until {@code path} answers 200 ({@code /healthz}: the process is up and serving HTTP). */
    ChildInstance await(final String path, final Duration timeout) throws InterruptedException {
        final HttpClient client = HttpClient.newHttpClient();
        final HttpRequest ready = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(2)).build();
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("instance exited with " + process.exitValue() + "; see " + log);
            }
            try {
                if (client.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return this;
                }
            } catch (final IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("instance not ready within " + timeout.toSeconds() + " s; see " + log);
    }

    /** The lines of the instance's log that contain {@code text}. */
    List<String> logLines(final String text) throws IOException {
        return Files.readAllLines(log).stream().filter(line -> line.contains(text)).toList();
    }

    /** Resident memory of the instance's process, from {@code /proc}, in bytes. */
    long residentBytes() throws IOException {
        for (final String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS for " + process.pid());
    }

    /** CPU time the instance's process has used so far. */
    Duration cpuTime() {
        return BenchSuite.cpuTime(process.toHandle());
    }

    /** Runs a diagnostic command in the instance ({@code jcmd PID ...}) and returns what it printed. */
    String jcmd(final String... command) throws IOException, InterruptedException {
        final List<String> line = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid())));
        line.addAll(List.of(command));
        final Process jcmd = new ProcessBuilder(line).redirectErrorStream(true).start();
        final String output = new String(jcmd.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (jcmd.waitFor() != 0) {
            throw new IllegalStateException("jcmd " + String.join(" ", command) + " failed: " + output);
        }
        return output;
    }

    /** {@code kill -9}. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }
}
