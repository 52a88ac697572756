package dev.persona.faults;

import dev.persona.testing.Poll;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Three Persona instances as child JVMs ({@code persona serve}) sharing one configuration file, each with its own
 * state directory and port; which of them are up is what the reader sends lookups to.
 */
final class PersonaNodes implements AutoCloseable {
    static final int COUNT = 3;
    static final String ADMIN = "fault-admin-secret-01";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<ChildProcess> nodes = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private final List<Integer> up = new CopyOnWriteArrayList<>();
    private final Path dir;
    private Path config;
    private String guarantee = "exactly_once_v2";
    private String readFrom = "owner";
    /** The release the instances run, as far as their topology tells ({@code PersonaTopology.REVISION_PROPERTY}). */
    private String revision;

    PersonaNodes(final Path dir, final Path config) {
        this.dir = dir;
        this.config = config;
        for (int i = 0; i < COUNT; i++) {
            ports.add(ChildProcess.freePort());
            nodes.add(node(i));
        }
    }

    private ChildProcess node(final int i) {
        final List<String> jvm = new ArrayList<>(List.of("-Xmx320m", "-Xms96m"));
        if (revision != null) {
            jvm.add("-D" + dev.persona.topology.PersonaTopology.REVISION_PROPERTY + "=" + revision);
        }
        return new ChildProcess("dev.persona.cli.PersonaCommand", jvm,
                List.of("serve", "--config", config.toString(), "--port", Integer.toString(ports.get(i)), "--state-dir",
                        dir.resolve("state-" + i).toString(), "--host", "127.0.0.1", "--advertised-host", "127.0.0.1"),
                Map.of("PERSONA_ADMIN_KEY", ADMIN, "PERSONA_HOME", dir.toString(), "PERSONA_GUARANTEE", guarantee, "PERSONA_READ_FROM", readFrom),
                dir.resolve("persona-" + i + ".log"));
    }

    /** Restarts every instance in turn (SIGTERM, then start) under {@code processingGuarantee}; later starts keep it. */
    void restartWithGuarantee(final String processingGuarantee) {
        guarantee = processingGuarantee;
        restartAll();
    }

    /** Restarts every instance in turn (SIGTERM, then start, ready before the next) with another file; later starts keep it. */
    void restartWithConfig(final Path file) {
        config = file;
        restartAll();
    }

    /** Restarts one instance with another file (a change rolled out to it alone); later starts of all keep it. */
    void restartOneWithConfig(final int i, final Path file) {
        config = file;
        stop(i);
        nodes.set(i, node(i));
        start(i);
    }

    /** Restarts every instance in turn as a release whose topology differs (an upgrade); later starts keep it. */
    void upgradeTo(final String release) {
        revision = release;
        restartAll();
    }

    /** Restarts every instance in turn with {@code kafka.readFrom}; later starts keep it. */
    void restartWithReadFrom(final String mode) {
        readFrom = mode;
        restartAll();
    }

    private void restartAll() {
        for (int i = 0; i < COUNT; i++) {
            stop(i);
            nodes.set(i, node(i));
            start(i);
        }
    }

    /** The ports of the instances that are up and ready, for the reader. */
    List<Integer> up() {
        return up;
    }

    int port(final int i) {
        return ports.get(i);
    }

    void startAll() {
        for (int i = 0; i < COUNT; i++) {
            nodes.get(i).start();
        }
        for (int i = 0; i < COUNT; i++) {
            awaitReady(i);
        }
    }

    void start(final int i) {
        if (nodes.get(i).isAlive()) {
            throw new IllegalStateException("instance " + i + " is still running");
        }
        nodes.get(i).start();
        awaitReady(i);
    }

    void kill(final int i) {
        up.remove(ports.get(i));
        nodes.get(i).kill();
    }

    /** SIGSTOP: a load balancer's health check would take it out, so the reader does too. */
    void freeze(final int i) {
        up.remove(ports.get(i));
        nodes.get(i).freeze();
    }

    /** SIGCONT, then back in the reader's rotation once it says it is ready again. */
    void thaw(final int i) {
        nodes.get(i).thaw();
        awaitReady(i);
    }

    /** SIGTERM: the instance drains and leaves its groups. */
    void stop(final int i) {
        up.remove(ports.get(i));
        nodes.get(i).stop(60);
    }

    boolean isAlive(final int i) {
        return nodes.get(i).isAlive();
    }

    private void awaitReady(final int i) {
        Poll.until(Duration.ofSeconds(420), "instance " + i + " ready", () -> status(ports.get(i), "/readyz") == 200);
        if (!up.contains(ports.get(i))) {
            up.add(ports.get(i));
        }
    }

    /** Every instance up and ready again (after an outage they recover by themselves). */
    void awaitAllReady(final Duration timeout) {
        Poll.until(timeout, "every instance ready", () -> ports.stream().allMatch(p -> status(p, "/readyz") == 200));
        ports.forEach(p -> {
            if (!up.contains(p)) {
                up.add(p);
            }
        });
    }

    int status(final int port, final String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (final Exception e) {
            return -1;
        }
    }

    @Override
    public void close() {
        nodes.forEach(ChildProcess::kill);
    }
}
