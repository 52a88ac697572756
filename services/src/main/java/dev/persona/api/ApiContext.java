package dev.persona.api;

import dev.persona.cluster.InstanceStatus;
import dev.persona.config.PersonaConfig;
import dev.persona.ingest.IngestService;
import dev.persona.keys.ApiKeyStore;
import dev.persona.routing.DeclaredStores;
import dev.persona.routing.KeyLocator;
import dev.persona.routing.LocalStoreReader;
import dev.persona.routing.PeerAuth;
import dev.persona.routing.PeerClient;
import dev.persona.routing.StoredValues;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.function.BooleanSupplier;

/**
 * What the HTTP API serves and reads from, gathered once by the application root: the parameter object of
 * {@link ApiServer#start}, in place of a factory with a dozen positional arguments.
 *
 * @param config   the configuration: collections, destinations, syncs
 * @param locator  where keys live and who the instances are, for readiness, the partition map and the cluster view
 * @param stores   the stores lookups may reach
 * @param values   stored values wherever they live (records and index entries)
 * @param peers    the one HTTP client to other instances
 * @param reader   this instance's store partitions
 * @param keys     API keys
 * @param ingest   run history and run requests
 * @param status   what this instance holds and what is failing
 * @param metrics  the registry {@code /metrics} scrapes
 * @param draining whether a stop has begun (readiness off)
 * @param peerAuth how calls from other instances are verified
 * @param tls      HTTPS for the API, if configured
 * @param topics   reads the newest records of a topic (dead letters, changelogs) for the admin views
 * @param changes  change subscriptions
 * @param purger   GDPR purges
 * @param relayTargets while this instance's topology version builds, the instances of complete versions its record
 *                     reads are relayed to ({@link BuildingRelay}); empty otherwise
 */
public record ApiContext(PersonaConfig config, KeyLocator locator, DeclaredStores stores, StoredValues values, PeerClient peers,
                         LocalStoreReader reader, ApiKeyStore keys, IngestService ingest, InstanceStatus status,
                         PrometheusMeterRegistry metrics, BooleanSupplier draining, PeerAuth peerAuth,
                         java.util.Optional<dev.persona.tls.ServerTls> tls, dev.persona.kafka.TopicTail topics,
                         dev.persona.changes.ChangeFeeds changes, dev.persona.purge.RecordPurger purger,
                         java.util.function.Supplier<java.util.List<org.apache.kafka.streams.state.HostInfo>> relayTargets) {
}
