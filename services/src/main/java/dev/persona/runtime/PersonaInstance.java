package dev.persona.runtime;

import dev.persona.cluster.InstanceRegistry;
import dev.persona.cluster.InstanceStatus;
import dev.persona.cluster.TopologyVersion;
import dev.persona.cluster.TopologyVersions;
import dev.persona.cluster.VersionBuild;
import dev.persona.cluster.VersionSeed;
import dev.persona.kafka.BoundedRocksDbMemory;
import dev.persona.kafka.EmbeddedKafkaBroker;
import dev.persona.kafka.StreamsSettings;
import dev.persona.kafka.TopicProvisioner;
import dev.persona.kafka.ErasureTicker;
import dev.persona.kafka.ErasureWindow;
import dev.persona.kafka.StaleLocalState;
import dev.persona.kafka.TopicTail;
import dev.persona.changes.ChangeFeeds;
import dev.persona.drivers.JdbcDrivers;
import dev.persona.purge.RecordPurger;
import dev.persona.kafka.TopicReplication;
import dev.persona.topology.TopicNames;
import dev.persona.tls.ServerTls;
import dev.persona.api.ApiContext;
import dev.persona.api.ApiServer;
import dev.persona.config.PersonaConfig;
import dev.persona.config.Secrets;
import dev.persona.ingest.IngestService;
import dev.persona.keys.ApiKeyStore;
import dev.persona.routing.DeclaredStores;
import dev.persona.routing.KeyLocator;
import dev.persona.routing.LocalStoreReader;
import dev.persona.routing.PeerAuth;
import dev.persona.routing.PeerClient;
import dev.persona.routing.StoredValues;
import dev.persona.routing.StreamsKeyLocator;
import dev.persona.routing.StreamsStoreReader;
import dev.persona.topology.LiveStores;
import dev.persona.topology.PersonaTopology;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Optional;

/**
 * One Persona instance, the application root: starts the embedded broker (when no cluster is configured), the
 * topics, the API key store, the Streams topology and the HTTP API, in that order, and closes them in reverse.
 * Instances with the same configuration and application id form one cluster.
 */
public final class PersonaInstance implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PersonaInstance.class);
    /** How often an idle change stream gets a comment line: below the connectors' 30 s idle timeout. */
    private static final Duration CHANGE_KEEP_ALIVE = Duration.ofSeconds(15);

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final PersonaConfig config;
    private final String bootstrapServers;
    private final HostInfo self;
    private KafkaStreams streams;
    private final Lifecycle lifecycle = new Lifecycle();
    private volatile boolean abandoned;
    private Duration drain = Duration.ZERO;
    private InstanceStatus status;
    private PrometheusMeterRegistry metrics;
    private ApiKeyStore keys;
    private IngestService ingest;
    private ApiServer api;

    private PersonaInstance(final PersonaConfig config, final String bootstrapServers, final HostInfo self) {
        this.config = config;
        this.bootstrapServers = bootstrapServers;
        this.self = self;
    }

    /**
     * Starts an instance. On failure, whatever had started is closed again before the exception propagates.
     *
     * @param config  the validated configuration; without bootstrap servers an embedded broker starts
     * @param options ports, directories, keys
     */
    public static PersonaInstance start(final PersonaConfig config, final InstanceOptions options) {
        // Before anything starts: a taken port found after the broker and the syncs are up left them half-started,
        // dying with stack traces about aborted transactions.
        LogRedaction.install(Secrets.of(config).and(Secrets.ofValues(options.adminKey().map(java.util.Set::of).orElse(java.util.Set.of()))));
        // A query sync no driver can read stops start-up here, naming the driver to add (issue 21: it used to fail
        // every run with "No suitable driver" behind a ready instance).
        JdbcDrivers.loadAndCheck(config, JdbcDrivers.directories(config, options.home()));
        requireFreePort(options.bindHost(), options.port(), "--port");
        config.http().managementPort().ifPresent(p -> requireFreePort(options.bindHost(), p, "http.managementPort in " + config.file()));
        EmbeddedKafkaBroker broker = null;
        final String bootstrap;
        if (config.kafka().bootstrapServers().isPresent()) {
            bootstrap = config.kafka().bootstrapServers().get();
        } else {
            broker = EmbeddedKafkaBroker.start(options.home().resolve("kafka"), 0);
            bootstrap = broker.bootstrapServers();
        }
        final int port = options.port() == 0 ? freePort(options.bindHost()) : options.port();
        final PersonaInstance instance = new PersonaInstance(config, bootstrap, new HostInfo(options.advertisedHost(), port));
        if (broker != null) {
            instance.started.push(broker);
        }
        try {
            instance.startComponents(options, port);
            instance.lifecycle.moveTo(Lifecycle.State.RUNNING);
            return instance;
        } catch (final RuntimeException e) {
            // Still STARTING: close() skips the drain and stops at once.
            instance.close();
            throw e;
        }
    }

    private void startComponents(final InstanceOptions options, final int port) {
        drain = options.drain();
        final Map<String, Object> clientProps = new HashMap<>(config.kafka().properties());
        clientProps.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        final TopicNames names = new TopicNames(config.kafka());
        final TopicReplication replication;
        final Map<String, Integer> topicPartitions;
        try (Admin admin = Admin.create(clientProps)) {
            final TopicProvisioner provisioner = new TopicProvisioner(admin, config.kafka());
            replication = provisioner.replication();
            topicPartitions = provisioner.provision(config);
            provisioner.provisionCompacted(names.apiKeys());
            IngestService.provision(config, provisioner);
            provisioner.provisionCompactedBrokerTimed(names.instances());
            provisioner.provisionCompacted(names.versions());
        }
        keys = ApiKeyStore.start(names.apiKeys(), clientProps);
        started.push(keys);
        options.adminKey().ifPresent(secret -> keys.addBootstrapAdminKey("admin", secret));

        final StreamsBuilder builder = new StreamsBuilder();
        final LiveStores live = new LiveStores();
        // A collection resized reads its own topics (made with the old count) through a repartition step.
        PersonaTopology.build(builder, config, live, topicPartitions);
        metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(metrics);
        new ProcessorMetrics().bindTo(metrics);
        new ClassLoaderMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        new UptimeMetrics().bindTo(metrics);
        new FileDescriptorMetrics().bindTo(metrics);
        final JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(metrics);
        started.push(gc);
        final org.apache.kafka.streams.Topology topology = builder.build();
        final org.apache.kafka.streams.TopologyDescription description = topology.describe();
        status = new InstanceStatus(description);
        // Before Streams joins a group: which version of the topology this one is, and under which application id
        // it runs. A new version is seeded from a running one and builds beside it (TopologyVersions).
        final String fingerprint = InstanceRegistry.fingerprint(description, PersonaTopology.resized(config, topicPartitions));
        final InstanceRegistry registry = InstanceRegistry.join(names.instances(), clientProps, self.host() + ":" + self.port(), description,
                fingerprint,
                config.file().toString());
        started.push(registry);
        final TopologyVersions versions = TopologyVersions.follow(names.versions(), clientProps);
        started.push(versions);
        final TopologyVersion version = versions.resolve(config.kafka().applicationId(), fingerprint, InstanceRegistry.stores(description),
                InstanceRegistry.repartitions(description), registry.livePeers());
        registry.runs(version.applicationId());
        if (!version.complete()) {
            seed(clientProps, versions, version, topicSyncs(config), PersonaTopology.partitionCounts(config));
        }
        // What Streams, its topics and what reads them see: the configuration under the version's application id.
        final PersonaConfig running = config.withKafka(config.kafka().withApplicationId(version.applicationId()));
        // A copy away longer than the changelog keeps tombstones may have missed a purge: rebuilt, not caught up.
        StaleLocalState.remove(options.stateDir().resolve(running.kafka().applicationId()),
                new ErasureWindow(config.kafka().erasureWindow()).deleteRetention(), java.time.Instant.now());
        final BoundedRocksDbMemory.Resources rocksdb = BoundedRocksDbMemory.Resources.ofMegabytes(config.kafka().rocksdbMemoryMb());
        started.push(rocksdb);
        final Properties streamsProps = StreamsSettings.withReplication(StreamsSettings.withSharedMemory(
                StreamsSettings.of(running, bootstrapServers, options.stateDir(), self.host() + ":" + self.port()), rocksdb), running, replication);
        // A version that builds answers no lookups: its stream threads yield to them only once it is complete.
        final java.util.concurrent.atomic.AtomicReference<VersionBuild> building = new java.util.concurrent.atomic.AtomicReference<>();
        streamsProps.put(org.apache.kafka.streams.StreamsConfig.mainConsumerPrefix(dev.persona.kafka.StreamThreadPriority.LOWER_WHEN_CONFIG),
                (java.util.function.BooleanSupplier) () -> building.get() != null && !building.get().building());
        streams = new KafkaStreams(topology, streamsProps);
        streams.setGlobalStateRestoreListener(status);
        status.attach(streams);
        // Streams' own metrics (process rate, commit latency, lag, restoration, RocksDB, Persona's dead-letter
        // and index-conflict sensors) under kafka_stream_*.
        final KafkaStreamsMetrics streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(metrics);
        started.push(streamsMetrics);
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("A stream thread died; replacing it", e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.start();
        started.push(this::closeStreams);

        final VersionBuild build = new VersionBuild(versions, registry, fingerprint, InstanceRegistry.sourceTopics(description),
                () -> streams.state() == KafkaStreams.State.RUNNING && !status.restoringAny() && !live.anyScanning(), clientProps).start();
        building.set(build);
        started.push(build);
        status.watch("topology-version", build::buildingReason);
        status.watch("stored-records", () -> live.anyScanning()
                ? Optional.of("scanning the stored records for what the configuration changed (a new index, a removed sync)") : Optional.empty());
        io.micrometer.core.instrument.Gauge.builder("persona.topology.version.building", build, b -> b.building() ? 1.0 : 0.0)
                .description("1 while the topology version this instance runs builds beside the running one (it answers no lookups then)")
                .register(metrics);
        status.showVersion(() -> versionView(build));
        // Syncs run once per cluster, whatever version each instance's topology is: under the configured id.
        ingest = IngestService.start(config, clientProps, self.host() + ":" + self.port(), metrics);
        started.push(ingest);
        started.push(ErasureTicker.start(running, clientProps));
        status.watch("api-keys", keys::failure);
        status.watch("sync-runs", ingest.history()::failure);
        status.watch("sync-ownership", ingest::ownershipFailure);

        // A version that builds answers nothing: its stores do not hold everything yet; nor does an instance scanning
        // its stored records for what a change of the configuration makes of them (a new index, a removed sync).
        final LocalStoreReader reader = new StreamsStoreReader(streams, live, status::isRestoring, () -> build.building() || live.anyScanning());
        final DeclaredStores stores = new DeclaredStores(config);
        // Short timeouts: a dead or hung owner is detected on the read path and a standby answers instead.
        final byte[] configuredSecret = config.http().clusterSecret().map(t -> t.getBytes(java.nio.charset.StandardCharsets.UTF_8)).orElse(null);
        if (configuredSecret == null) {
            // Made (or read) now, at start, rather than by the first forwarded lookup.
            keys.clusterSecret();
        }
        final PeerAuth peerAuth = new PeerAuth(configuredSecret != null ? () -> configuredSecret : keys::clusterSecret, java.time.Clock.systemUTC());
        final Optional<ServerTls> tls = config.http().tls().map(ServerTls::start);
        tls.ifPresent(started::push);
        final PeerClient peers = new PeerClient(self, Duration.ofMillis(500), Duration.ofSeconds(2), peerAuth,
                tls.map(ServerTls::peerContext).orElse(null), metrics);
        started.push(peers);
        final KeyLocator locator = new StreamsKeyLocator(streams, self);
        final StoredValues lookup = new StoredValues(stores, locator, reader, peers, config.kafka().maxStaleLag(),
                config.kafka().readFrom(), metrics);
        final RecordPurger purger = new RecordPurger(running, clientProps, java.time.Clock.systemUTC());
        started.push(purger);
        final ChangeFeeds changes = new ChangeFeeds(new TopicNames(running.kafka()), epochOf(config, version), clientProps, metrics, CHANGE_KEEP_ALIVE);
        try {
            api = ApiServer.start(options.bindHost(), port,
                    new ApiContext(running, locator, stores, lookup, peers, reader, keys, ingest, status, metrics, this::isDraining, peerAuth, tls,
                            new TopicTail(clientProps), changes, purger,
                            () -> build.building() ? answering(registry, versions, fingerprint) : java.util.List.of()));
        } catch (final RuntimeException e) {
            changes.close();
            throw e;
        }
        started.push(api);
        // Closed before the API: open change streams end, so that the server's stop need not wait on them.
        started.push(changes);
        LOG.info("Persona instance {} started (Kafka {})", url(), bootstrapServers);
    }

    /** Stops the stream threads, leaving the group unless abandoned (a second call finds them stopped). */
    private void closeStreams() {
        streams.close(CloseOptions.groupMembershipOperation(abandoned
                ? CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP : CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
    }

    /**
     * The running instances of complete topology versions other than {@code mine}: where an instance whose version
     * builds relays its clients' record reads.
     */
    private static java.util.List<HostInfo> answering(final InstanceRegistry registry, final TopologyVersions versions, final String mine) {
        final java.util.List<HostInfo> hosts = new java.util.ArrayList<>();
        registry.livePeers().forEach((address, entry) -> {
            final String fingerprint = entry.path("fingerprint").asText();
            final int colon = address.lastIndexOf(':');
            if (!fingerprint.equals(mine) && colon > 0 && versions.get(fingerprint).map(TopologyVersion::complete).orElse(false)) {
                hosts.add(new HostInfo(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))));
            }
        });
        return hosts;
    }

    /** Copies the running version's state into a new one, once (the copy is skipped when the version has a position). */
    private static void seed(final Map<String, Object> clientProps, final TopologyVersions versions, final TopologyVersion version,
                             final Map<String, java.util.List<Optional<String>>> topicSyncs, final Map<String, Integer> partitions) {
        final Optional<TopologyVersion> from = version.seedFrom().flatMap(id -> versions.all().values().stream()
                .filter(v -> v.applicationId().equals(id) && !v.retired()).findFirst());
        if (from.isEmpty()) {
            LOG.warn("Topology version {} builds from its topics alone: the version it was to copy ({}) is gone", version.applicationId(),
                    version.seedFrom().orElse("none"));
            return;
        }
        VersionSeed.seed(clientProps, from.get(), version, topicSyncs, partitions);
    }

    /**
     * The topics topic syncs read, each with what proves every sync reading it ran in an older version: its
     * repartition topic, or nothing for a copartitioned sync (read in place). A topic may feed several syncs: one
     * added beside another must still read it from its start ({@link VersionSeed#readFromStart}).
     */
    private static Map<String, java.util.List<Optional<String>>> topicSyncs(final PersonaConfig config) {
        final TopicNames names = new TopicNames(config.kafka());
        final Map<String, java.util.List<Optional<String>>> topics = new java.util.TreeMap<>();
        for (final dev.persona.config.SyncConfig sync : config.syncs()) {
            if (!sync.source().runByOneInstance()) {
                final Optional<String> proof = sync.source().on(cdc -> Optional.<String>empty(), query -> Optional.<String>empty(),
                        topic -> topic.copartitioned() ? Optional.<String>empty()
                                : Optional.of(PersonaTopology.repartitionOf(sync)));
                topics.computeIfAbsent(names.sourceTopic(sync), t -> new java.util.ArrayList<>()).add(proof);
            }
        }
        return topics;
    }

    /** What tells this version's change-event ids from another's: empty for the version under the configured id. */
    private static String epochOf(final PersonaConfig config, final TopologyVersion version) {
        final String base = config.kafka().applicationId();
        return version.applicationId().equals(base) ? "" : version.applicationId().substring(base.length() + 1);
    }

    private static Map<String, Object> versionView(final VersionBuild build) {
        final Map<String, Object> view = new java.util.LinkedHashMap<>();
        final TopologyVersion version = build.version().orElse(null);
        if (version == null) {
            return Map.of("state", "retired");
        }
        view.put("applicationId", version.applicationId());
        view.put("fingerprint", version.fingerprint());
        view.put("state", version.state().name().toLowerCase(java.util.Locale.ROOT));
        build.buildingReason().ifPresent(why -> view.put("building", why));
        return view;
    }

    /** The HTTP port. */
    public int port() {
        return self.port();
    }

    /** Where the API answers: {@code https://} when {@code http.tls} is set. */
    public String url() {
        return (config.http().tls().isPresent() ? "https" : "http") + "://" + self.host() + ":" + self.port();
    }

    /** The Kafka cluster this instance uses. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The running topology. */
    public KafkaStreams streams() {
        return streams;
    }

    /** What this instance holds, restorations included. */
    public InstanceStatus status() {
        return status;
    }

    /** The API key store. */
    public ApiKeyStore keys() {
        return keys;
    }

    /** Ingest: run history, the syncs this instance runs. */
    public IngestService ingest() {
        return ingest;
    }

    /** The configuration it runs. */
    public PersonaConfig config() {
        return config;
    }

    /**
     * @throws PortInUseException naming the port and how to choose another, when something listens on it already
     */
    private static void requireFreePort(final String host, final int port, final String setting) {
        if (port == 0) {
            return;
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(host, port));
        } catch (final IOException e) {
            throw new PortInUseException("port " + port + " on " + host + " is already in use (" + e.getMessage()
                    + "): stop what listens there, or choose another port with " + setting);
        }
    }

    private static int freePort(final String host) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(host, 0));
            return socket.getLocalPort();
        } catch (final IOException e) {
            throw new UncheckedIOException("no free port on " + host, e);
        }
    }

    /**
     * Stops like a crash, as far as the cluster can tell: the API goes away and Streams stops without leaving its
     * group, so the others believe this instance owns its partitions until the group's session timeout. For
     * failure tests; {@link #close()} is the clean stop.
     */
    public void abandon() {
        abandoned = true;
        close();
    }

    /** Whether a stop has begun (or the instance is not running yet): readiness is false then. */
    public boolean isDraining() {
        return lifecycle.state() != Lifecycle.State.RUNNING;
    }

    /**
     * Stops cleanly: readiness turns false and the instance keeps answering for the drain period, so load balancers
     * stop sending requests before HTTP closes; then what started closes, newest first. Every failure is logged and
     * the rest still close.
     */
    @Override
    public void close() {
        if (!abandoned && !drain.isZero() && lifecycle.tryMoveTo(Lifecycle.State.DRAINING)) {
            LOG.info("Draining for {} ms before stopping", drain.toMillis());
            try {
                Thread.sleep(drain.toMillis());
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (!lifecycle.tryMoveTo(Lifecycle.State.STOPPING)) {
            // Stopping or stopped already (a second close, or close after abandon): nothing more to do.
            return;
        }
        // Streams leave the group first, while the API still answers: the other instances, which route lookups of
        // this one's partitions here until the group has moved them, get a quick "not here" and wait for the move
        // (http.moveWait) rather than a connection that hangs while the server stops.
        if (streams != null && !abandoned) {
            try {
                closeStreams();
            } catch (final RuntimeException e) {
                LOG.error("Error while stopping the stream threads", e);
            }
        }
        while (!started.isEmpty()) {
            final AutoCloseable component = started.pop();
            try {
                component.close();
            } catch (final Exception e) {
                LOG.error("Error while stopping {}", component.getClass().getSimpleName(), e);
            }
        }
        lifecycle.moveTo(Lifecycle.State.STOPPED);
    }
}
