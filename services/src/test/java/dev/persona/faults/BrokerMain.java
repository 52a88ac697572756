package dev.persona.faults;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * One broker of the fault suite's cluster, in a JVM of its own (so it can be killed with SIGKILL), from Kafka's own
 * classes: a combined broker and controller of a static three-voter KRaft quorum, replication factor 3 and min ISR 2.
 * Arguments: node id, client port, data directory, cluster id, the quorum's voters ({@code 1@host:port,...}).
 */
public final class BrokerMain {
    private BrokerMain() {
    }

    public static void main(final String[] args) throws Exception {
        final int nodeId = Integer.parseInt(args[0]);
        final int port = Integer.parseInt(args[1]);
        final Path logDir = Path.of(args[2]);
        final String clusterId = args[3];
        final String voters = args[4];
        final String controller = voters.split(",")[nodeId - 1].split("@")[1];
        Files.createDirectories(logDir);
        final Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(nodeId));
        props.put("controller.quorum.voters", voters);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://" + controller);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("log.dirs", logDir.toString());
        props.put("offsets.topic.replication.factor", "3");
        props.put("offsets.topic.num.partitions", "6");
        props.put("transaction.state.log.replication.factor", "3");
        props.put("transaction.state.log.min.isr", "2");
        props.put("transaction.state.log.num.partitions", "6");
        props.put("default.replication.factor", "3");
        props.put("min.insync.replicas", "2");
        props.put("unclean.leader.election.enable", "false");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("auto.create.topics.enable", "false");
        props.put("log.flush.interval.messages", "9223372036854775807");
        props.put("num.network.threads", "2");
        props.put("num.io.threads", "2");
        props.put("background.threads", "2");
        props.put("log.cleaner.threads", "1");
        props.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024));
        final KafkaConfig config = KafkaConfig.fromProps(props);
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            new Formatter().setPrintStream(new PrintStream(OutputStream.nullOutputStream())).setNodeId(nodeId).setClusterId(clusterId)
                    .setControllerListenerName("CONTROLLER").setMetadataLogDirectory(logDir.toString()).addDirectory(logDir.toString())
                    .setIgnoreFormatted(true).run();
        }
        final KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            stopped.countDown();
        }));
        server.startup();
        System.out.println("broker " + nodeId + " started on 127.0.0.1:" + port);
        stopped.await();
    }
}
