package dev.persona.testing;

import dev.persona.api.ApiContext;
import dev.persona.api.ApiServer;
import dev.persona.changes.ChangeFeeds;
import dev.persona.cluster.InstanceStatus;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.ingest.IngestService;
import dev.persona.kafka.TopicTail;
import dev.persona.keys.ApiKeyStore;
import dev.persona.purge.RecordPurger;
import dev.persona.routing.DeclaredStores;
import dev.persona.routing.PeerAuth;
import dev.persona.routing.PeerClient;
import dev.persona.routing.StoredValues;
import dev.persona.topology.PersonaTopology;
import dev.persona.topology.TopicNames;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.state.HostInfo;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The real HTTP server ({@link ApiServer}, every route, the fast path, authentication, rate limits) on a random port
 * over a {@link MemoryCluster}, with API keys and run history in memory: the HTTP layer tested with no broker, in the
 * manner of Javalin's {@code TestUtil}. What needs Kafka itself (a sync run, a purge, a change stream) is for the ITs.
 */
public final class ApiTestServer implements AutoCloseable {
    /** The admin key every server starts with. */
    public static final String ADMIN = "admin-key-of-the-api-tests";
    /** Never contacted: no test of this tier reaches Kafka. */
    private static final String NO_BROKER = "127.0.0.1:1";

    private final PersonaConfig config;
    private final MemoryCluster cluster;
    private final ApiKeyStore keys;
    private final IngestService ingest;
    private final PeerClient peers;
    private final ChangeFeeds changes;
    private final RecordPurger purger;
    private final AtomicBoolean draining = new AtomicBoolean();
    /** Where record reads are relayed, as an instance whose topology version builds relays them; none by default. */
    private volatile java.util.List<HostInfo> relayTargets = java.util.List.of();
    private final ApiServer server;

    private ApiTestServer(final PersonaConfig config) {
        this.config = config;
        final HostInfo self = new HostInfo("127.0.0.1", 1);
        this.cluster = new MemoryCluster(config, self);
        final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.keys = ApiKeyStore.inMemory();
        keys.addBootstrapAdminKey("tests", ADMIN);
        final byte[] secret = "the cluster secret of the api tests".getBytes(StandardCharsets.UTF_8);
        final PeerAuth peerAuth = new PeerAuth(() -> secret, Clock.systemUTC());
        this.peers = new PeerClient(self, Duration.ofMillis(500), Duration.ofSeconds(2), peerAuth, null, metrics);
        final DeclaredStores stores = new DeclaredStores(config);
        final StoredValues values = new StoredValues(stores, cluster, cluster, peers, config.kafka().maxStaleLag(), config.kafka().readFrom(), metrics);
        final StreamsBuilder builder = new StreamsBuilder();
        PersonaTopology.build(builder, config);
        final InstanceStatus status = new InstanceStatus(builder.build().describe());
        this.ingest = IngestService.inMemory(config, metrics);
        final Map<String, Object> noBroker = Map.of("bootstrap.servers", NO_BROKER);
        this.changes = new ChangeFeeds(new TopicNames(config.kafka()), noBroker, metrics, Duration.ofSeconds(15));
        this.purger = new RecordPurger(config, noBroker, Clock.systemUTC());
        this.server = ApiServer.start("127.0.0.1", 0, new ApiContext(config, cluster, stores, values, peers, cluster, keys, ingest, status, metrics,
                draining::get, peerAuth, Optional.empty(), new TopicTail(noBroker), changes, purger, () -> relayTargets));
    }

    /** From now on, relays record reads to {@code targets}, as an instance whose topology version builds does. */
    public void relayTo(final java.util.List<HostInfo> targets) {
        relayTargets = java.util.List.copyOf(targets);
    }

    /** A server for the configuration {@code yaml} (its Kafka settings are never used). */
    public static ApiTestServer start(final String yaml) {
        return new ApiTestServer(ConfigLoader.withEnvironment(Map.of()).parse(Path.of("api-test.yaml"), yaml));
    }

    /** A server for {@link TestConfigs#customersYaml}: customers (index email, destination demo) and products. */
    public static ApiTestServer customers() {
        return start(TestConfigs.customersYaml(NO_BROKER, "api-test"));
    }

    public PersonaConfig config() {
        return config;
    }

    /** What the server reads: put records here. */
    public MemoryCluster cluster() {
        return cluster;
    }

    /** The server's keys: create keys with scopes, rates and allow-lists here. */
    public ApiKeyStore keys() {
        return keys;
    }

    /** The server's run history. */
    public IngestService ingest() {
        return ingest;
    }

    /** Whether the instance is stopping (its readiness off). */
    public void draining(final boolean stopping) {
        draining.set(stopping);
    }

    public int port() {
        return server.port();
    }

    public TestHttp http() {
        return new TestHttp(port());
    }

    @Override
    public void close() {
        server.close();
        changes.close();
        purger.close();
        ingest.close();
        peers.close();
        keys.close();
    }
}
