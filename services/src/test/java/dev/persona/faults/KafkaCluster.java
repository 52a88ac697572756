package dev.persona.faults;

import dev.persona.testing.Poll;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** Three Kafka brokers (combined KRaft controllers) as child JVMs, which the suite kills and restarts. */
final class KafkaCluster implements AutoCloseable {
    static final int BROKERS = 3;

    private final List<ChildProcess> brokers = new ArrayList<>();
    private final String bootstrapServers;

    KafkaCluster(final Path dir) {
        final String clusterId = Uuid.randomUuid().toString();
        final List<Integer> ports = IntStream.range(0, BROKERS).mapToObj(i -> ChildProcess.freePort()).toList();
        final String voters = IntStream.range(0, BROKERS).mapToObj(i -> (i + 1) + "@127.0.0.1:" + ChildProcess.freePort())
                .collect(Collectors.joining(","));
        for (int i = 0; i < BROKERS; i++) {
            brokers.add(new ChildProcess(BrokerMain.class.getName(), List.of("-Xmx384m", "-Xms128m"),
                    List.of(Integer.toString(i + 1), Integer.toString(ports.get(i)), dir.resolve("broker-" + (i + 1)).toString(), clusterId, voters),
                    Map.of(), dir.resolve("broker-" + (i + 1) + ".log")));
        }
        this.bootstrapServers = ports.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    void startAll() {
        brokers.forEach(ChildProcess::start);
        awaitBrokers(BROKERS, Duration.ofSeconds(120));
    }

    void kill(final int broker) {
        brokers.get(broker).kill();
    }

    void start(final int broker) {
        brokers.get(broker).start();
    }

    void killAll() {
        brokers.forEach(ChildProcess::kill);
    }

    /** Waits until {@code count} brokers are registered and answer. */
    void awaitBrokers(final int count, final Duration timeout) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000))) {
            Poll.until(timeout, count + " brokers up", () -> {
                try {
                    return admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() >= count;
                } catch (final Exception e) {
                    return false;
                }
            });
        }
    }

    /** Waits until no partition of any topic is under-replicated: the cluster is whole again after a bounce. */
    void awaitFullyReplicated(final Duration timeout) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            Poll.until(timeout, "every partition fully in sync", () -> {
                try {
                    final var names = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true)).names().get(10, TimeUnit.SECONDS);
                    return admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS).values().stream()
                            .flatMap(t -> t.partitions().stream()).allMatch(p -> p.isr().size() == p.replicas().size());
                } catch (final Exception e) {
                    return false;
                }
            });
        }
    }

    @Override
    public void close() {
        brokers.forEach(ChildProcess::kill);
    }
}
