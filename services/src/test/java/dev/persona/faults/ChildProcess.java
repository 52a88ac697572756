package dev.persona.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A child JVM on this JVM's class path, its output in a log file: started, stopped (SIGTERM) or killed (SIGKILL). */
final class ChildProcess {
    private final List<String> command;
    private final Map<String, String> environment;
    private final Path log;
    private Process process;

    ChildProcess(final String mainClass, final List<String> jvmOptions, final List<String> args, final Map<String, String> environment, final Path log) {
        final List<String> full = new ArrayList<>();
        full.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        full.addAll(jvmOptions);
        full.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), mainClass));
        full.addAll(args);
        this.command = List.copyOf(full);
        this.environment = Map.copyOf(environment);
        this.log = log;
    }

    void start() {
        try {
            final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().putAll(environment);
            builder.environment().put("MALLOC_ARENA_MAX", "2");
            process = builder.start();
            // A suite that dies (a timeout, Ctrl-C) must not leave brokers and instances behind it.
            final Process started = process;
            Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly, "kill-child"));
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL, and waits for the process to be gone. */
    void kill() {
        if (process != null) {
            process.destroyForcibly();
            waitFor(30);
        }
    }

    /**
     * SIGSTOP: the process freezes as in a long GC pause or a suspended VM. Its sockets stay open, so peers see
     * connections that are accepted and never answered, and Kafka sees a member that stops heartbeating.
     */
    void freeze() {
        signal("STOP");
    }

    /** SIGCONT: a frozen process goes on from where it stopped, unaware of the time it lost. */
    void thaw() {
        signal("CONT");
    }

    private void signal(final String name) {
        if (process == null || !process.isAlive()) {
            throw new IllegalStateException("not running: " + command);
        }
        try {
            final Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** SIGTERM, and waits up to {@code seconds} for a clean exit before killing it. */
    void stop(final int seconds) {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!waitFor(seconds)) {
                kill();
            }
        }
    }

    private boolean waitFor(final int seconds) {
        try {
            return process.waitFor(seconds, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    Path log() {
        return log;
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
