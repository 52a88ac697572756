package dev.persona.kafka;

import dev.persona.config.TlsSettings;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A real single-node Kafka cluster (KRaft, combined broker and controller) running in this JVM, through the
 * broker's own start-up path: format the storage, then start the server. Its data lives in a directory of
 * its own, so a restart keeps every topic. Listens on 127.0.0.1 only.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final String sslBootstrapServers;
    private final Path dataDir;
    private final FileChannel lock;

    private EmbeddedKafkaBroker(final KafkaRaftServer server, final String bootstrapServers, final String sslBootstrapServers, final Path dataDir,
                                final FileChannel lock) {
        this.server = server;
        this.lock = lock;
        this.bootstrapServers = bootstrapServers;
        this.sslBootstrapServers = sslBootstrapServers;
        this.dataDir = dataDir;
    }

    /**
     * Formats {@code dataDir} when it is new, starts the broker and waits until it answers.
     *
     * @param dataDir where the broker keeps its logs and metadata
     * @param port    the client port; 0 picks a free one
     * @throws IllegalStateException when the broker does not come up in time
     * @throws DataDirectoryInUseException when another process runs a broker on {@code dataDir}
     */
    public static EmbeddedKafkaBroker start(final Path dataDir, final int port) {
        return start(dataDir, port, null);
    }

    /**
     * {@link #start(Path, int)}, with a second client listener speaking TLS with the given PEM certificate and key
     * ({@link #sslBootstrapServers()}), for clients configured with {@code security.protocol: SSL}.
     */
    public static EmbeddedKafkaBroker start(final Path dataDir, final int port, final TlsSettings sslListener) {
        final int brokerPort = port == 0 ? freePort() : port;
        // A port is free when asked and given back at once: the next ask may get the same one (BackgroundLoopsIT
        // failed so: two listeners on one port). Each is asked again until it differs from those taken.
        final int sslPort = sslListener == null ? -1 : freePortOtherThan(brokerPort, -1);
        final int controllerPort = freePortOtherThan(brokerPort, sslPort);
        final Path logDir = dataDir.resolve("logs");
        try {
            Files.createDirectories(logDir);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create the broker's data directory " + logDir, e);
        }
        final FileChannel lock = lock(dataDir);
        try {
            return start(dataDir, logDir, brokerPort, sslPort, controllerPort, sslListener, lock);
        } catch (final RuntimeException e) {
            release(lock);
            throw e;
        }
    }

    private static EmbeddedKafkaBroker start(final Path dataDir, final Path logDir, final int brokerPort, final int sslPort,
                                             final int controllerPort, final TlsSettings sslListener, final FileChannel lock) {
        final Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL");
        if (sslListener != null) {
            props.put("listeners", props.get("listeners") + ",SSL://127.0.0.1:" + sslPort);
            props.put("advertised.listeners", props.get("advertised.listeners") + ",SSL://127.0.0.1:" + sslPort);
            try {
                // Kafka reads PEM itself (KIP-651): the chain and a PKCS#8 key, given inline.
                props.put("listener.name.ssl.ssl.keystore.type", "PEM");
                props.put("listener.name.ssl.ssl.keystore.certificate.chain", Files.readString(sslListener.certificate()));
                props.put("listener.name.ssl.ssl.keystore.key", Files.readString(sslListener.privateKey()));
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot read the TLS listener's certificate or key", e);
            }
        }
        props.put("log.dirs", logDir.toString());
        // One broker: every internal topic has one replica, and exactly-once needs the transaction log to accept that.
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "5");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "5");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("default.replication.factor", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("auto.create.topics.enable", "false");
        final KafkaConfig config = KafkaConfig.fromProps(props);
        format(config, logDir);
        final KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        final String bootstrap = "127.0.0.1:" + brokerPort;
        final EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, bootstrap, sslListener == null ? null : "127.0.0.1:" + sslPort, dataDir, lock);
        try {
            broker.awaitReady();
        } catch (final RuntimeException e) {
            broker.close();
            throw e;
        }
        LOG.info("Embedded Kafka broker ready at {} (data in {})", bootstrap, dataDir);
        return broker;
    }

    /** {@code host:port} for clients. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** {@code host:port} of the TLS listener, or null without one. */
    public String sslBootstrapServers() {
        return sslBootstrapServers;
    }

    /** Where the broker keeps its data. */
    public Path dataDir() {
        return dataDir;
    }

    private static void format(final KafkaConfig config, final Path logDir) {
        if (Files.exists(logDir.resolve("meta.properties"))) {
            // Formatted by an earlier start: its cluster id stays (formatting again with a new one is refused).
            return;
        }
        try {
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(config.nodeId())
                    .setClusterId(Uuid.randomUuid().toString())
                    .setControllerListenerName("CONTROLLER")
                    .setMetadataLogDirectory(logDir.toString())
                    .addDirectory(logDir.toString())
                    .setIgnoreFormatted(true)
                    .run();
        } catch (final Exception e) {
            throw new IllegalStateException("cannot format the embedded broker's storage in " + logDir + ": " + e.getMessage(), e);
        }
    }

    private void awaitReady() {
        final Instant deadline = Instant.now().plus(START_TIMEOUT);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (final ExecutionException | java.util.concurrent.TimeoutException e) {
                    if (Instant.now().isAfter(deadline)) {
                        throw new IllegalStateException("the embedded broker did not answer within " + START_TIMEOUT.toSeconds() + "s", e);
                    }
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the embedded broker", e);
                }
            }
        }
    }

    private static int freePortOtherThan(final int taken, final int alsoTaken) {
        int candidate = freePort();
        while (candidate == taken || candidate == alsoTaken) {
            candidate = freePort();
        }
        return candidate;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        } catch (final IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    /** Stops the broker and waits until it has; its data stays. */
    @Override
    public void close() {
        try {
            server.shutdown();
            server.awaitShutdown();
        } finally {
            release(lock);
        }
    }

    /** Holds {@code dataDir} for this process until {@link #close()}; the OS lets go of it when the process dies. */
    private static FileChannel lock(final Path dataDir) {
        try {
            final FileChannel channel = FileChannel.open(dataDir.resolve("persona-broker.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            final FileLock held;
            try {
                held = channel.tryLock();
            } catch (final OverlappingFileLockException sameProcess) {
                channel.close();
                throw new DataDirectoryInUseException(dataDir);
            }
            if (held == null) {
                channel.close();
                throw new DataDirectoryInUseException(dataDir);
            }
            return channel;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot lock the broker's data directory " + dataDir, e);
        }
    }

    private static void release(final FileChannel lock) {
        try {
            lock.close();
        } catch (final IOException e) {
            LOG.warn("Could not release the lock on the broker's data directory", e);
        }
    }
}
