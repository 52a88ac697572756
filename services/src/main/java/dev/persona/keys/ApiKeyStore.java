package dev.persona.keys;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.persona.topology.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import dev.persona.kafka.CompactedLog;
import dev.persona.kafka.KafkaCompactedLog;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * API keys kept in a compacted Kafka topic that every instance reads from the beginning and then follows, so a
 * key created or revoked on one instance is seen by all of them within a poll (about 100 ms) ({@link KafkaCompactedLog}).
 * Only hashes are stored. Keys given at start-up ({@code PERSONA_ADMIN_KEY}) live in memory only.
 */
public final class ApiKeyStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiKeyStore.class);
    private static final ObjectMapper MAPPER = Json.mapper();
    /** The record of the generated cluster secret; no key id looks like it (ids are hex). */
    private static final String CLUSTER_SECRET_ID = "cluster-secret";

    private final Map<String, ApiKey> byId = new ConcurrentHashMap<>();
    private final Map<String, ApiKey> byHash = new ConcurrentHashMap<>();
    private final Map<String, ApiKey> bootstrap = new ConcurrentHashMap<>();
    /**
     * Secrets already verified, so that a lookup does not hash its key on every request (SHA-256 was 12% of the
     * lookup path's CPU). A hit counts only while the key it holds is still the one stored: emptying the cache on a
     * change was not enough, because a lookup racing the change could put the old key back (a revoked key then kept
     * working on that instance for good).
     */
    private final Cache<String, ApiKey> verified = Caffeine.newBuilder().executor(Runnable::run).maximumSize(10_000).build();
    private final CompactedLog log;
    /** What instances sign their calls to each other with, when the configuration gives none. */
    private volatile byte[] clusterSecret;

    /** @param log opens the log with the function that applies each of its changes here */
    private ApiKeyStore(final Function<BiConsumer<String, byte[]>, CompactedLog> log) {
        this.log = log.apply(this::apply);
    }

    /**
     * Reads every key in {@code topic}, then follows it.
     *
     * @param clientProperties Kafka client properties, bootstrap servers included
     */
    public static ApiKeyStore start(final String topic, final Map<String, Object> clientProperties) {
        final ApiKeyStore store = new ApiKeyStore(apply -> new KafkaCompactedLog(topic, clientProperties, apply));
        LOG.info("Read {} API keys from {}", store.byId.size(), topic);
        return store;
    }

    /**
     * Keys held by this process alone, with no broker: for tests of the HTTP layer, which need keys but no cluster.
     * A key created or revoked applies at once; no other process sees it.
     */
    public static ApiKeyStore inMemory() {
        return new ApiKeyStore(CompactedLog::inMemory);
    }

    /**
     * Accepts a secret given at start-up as an admin key, held in memory only. Its id, {@code bootstrap-<12 hex of its
     * hash>}, is the same on every instance given the same secret, and {@link #revoke} takes it: the revocation is
     * stored in the key topic like any other, so the secret stays refused on every instance, across restarts, until
     * the instances are given another.
     *
     * @return the key's id
     */
    public String addBootstrapAdminKey(final String name, final String secret) {
        final String hash = ApiKeySecrets.sha256(secret);
        final ApiKey key = new ApiKey("bootstrap-" + hash.substring(0, 12), name, hash, List.of(ApiKey.ALL_COLLECTIONS), true,
                System.currentTimeMillis(), null, null, List.of());
        bootstrap.put(key.sha256(), key);
        verified.invalidateAll();
        if (revokedBootstrap(key)) {
            LOG.warn("The admin key given at start-up ({}) was revoked: it is refused. Give the instances another PERSONA_ADMIN_KEY", key.id());
        }
        return key.id();
    }

    /** Whether a start-up key was revoked: a stored record of its id says so. */
    private boolean revokedBootstrap(final ApiKey key) {
        final ApiKey stored = byId.get(key.id());
        return stored != null && !stored.isActive();
    }

    /** The active key a secret belongs to, if any. The final comparison is constant-time. */
    public Optional<ApiKey> authenticate(final String secret) {
        final ApiKey known = verified.getIfPresent(secret);
        if (known != null && stored(known) == known) {
            return Optional.of(known);
        }
        final String hash = ApiKeySecrets.sha256(secret);
        ApiKey key = bootstrap.get(hash);
        if (key != null && revokedBootstrap(key)) {
            return Optional.empty();
        }
        if (key == null) {
            key = byHash.get(hash);
        }
        if (key == null || !key.isActive() || !ApiKeySecrets.matches(secret, key.sha256())) {
            return Optional.empty();
        }
        verified.put(secret, key);
        return Optional.of(key);
    }

    /** A new key; its secret is returned here and nowhere else. Visible on this instance when this returns. */
    public CreatedKey create(final KeySpec spec) {
        return create(ApiKeySecrets.newId(), ApiKeySecrets.newSecret(), spec);
    }

    /** A key with a chosen id and secret (the demo's fixed key). An existing key with that id is replaced. */
    public CreatedKey create(final String id, final String secret, final KeySpec spec) {
        final ApiKey key = new ApiKey(id, spec.name(), ApiKeySecrets.sha256(secret), spec.collections(), spec.admin(), System.currentTimeMillis(),
                null, spec.rate(), spec.fields());
        write(key);
        return new CreatedKey(key, secret);
    }

    /** The key as stored now under the id of {@code key} (or the start-up key of its hash, while not revoked), if any. */
    private ApiKey stored(final ApiKey key) {
        final ApiKey fromStartUp = bootstrap.get(key.sha256());
        return fromStartUp != null && !revokedBootstrap(fromStartUp) ? fromStartUp : byId.get(key.id());
    }

    /** Revokes a key on every instance, a start-up key included. Returns false when there is no such key. */
    public boolean revoke(final String id) {
        ApiKey key = byId.get(id);
        if (key == null) {
            key = bootstrap.values().stream().filter(k -> k.id().equals(id)).findFirst().orElse(null);
        }
        if (key == null) {
            return false;
        }
        if (key.isActive()) {
            write(key.revokedAt(System.currentTimeMillis()));
        }
        return true;
    }

    /** Every stored key, revoked ones included, and this instance's start-up keys, oldest first (the cluster secret is not a key). */
    public List<ApiKey> list() {
        final Map<String, ApiKey> all = new HashMap<>();
        bootstrap.values().forEach(k -> all.put(k.id(), k));
        all.putAll(byId);
        final List<ApiKey> keys = new ArrayList<>(all.values());
        keys.sort(Comparator.comparingLong(ApiKey::createdAt).thenComparing(ApiKey::id));
        return keys;
    }

    /** Whether {@code key} (a stored key, or one given at start-up) is still active: not revoked since it was read. */
    public boolean isActive(final ApiKey key) {
        if (bootstrap.get(key.sha256()) == key) {
            return !revokedBootstrap(key);
        }
        final ApiKey stored = byId.get(key.id());
        return stored != null && stored.isActive();
    }

    /** The stored key with this id. */
    public Optional<ApiKey> find(final String id) {
        return Optional.ofNullable(byId.get(id));
    }

    private void write(final ApiKey key) {
        try {
            log.append(key.id(), MAPPER.writeValueAsBytes(key));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The cluster secret kept in the key topic, written by the first instance that needs one. Two instances starting
     * at once may both write one; the topic is compacted and followed, so all of them settle on the later one within
     * a poll, and a call signed with the other in between is refused once and retried like any unreachable peer.
     */
    public byte[] clusterSecret() {
        if (clusterSecret == null) {
            synchronized (this) {
                if (clusterSecret == null) {
                    log.append(CLUSTER_SECRET_ID, ApiKeySecrets.newSecret().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
            }
        }
        return clusterSecret;
    }

    /** Applies one change of the log: the key stored under {@code id}, or its removal (null). */
    private void apply(final String id, final byte[] value) {
        if (CLUSTER_SECRET_ID.equals(id)) {
            if (value != null) {
                clusterSecret = value;
            }
            return;
        }
        if (value == null) {
            final ApiKey removed = byId.remove(id);
            if (removed != null) {
                byHash.remove(removed.sha256());
            }
        } else {
            try {
                final ApiKey key = MAPPER.readValue(value, ApiKey.class);
                // The hash map first: a lookup between the two puts finds the new key by hash or nothing.
                byHash.put(key.sha256(), key);
                final ApiKey previous = byId.put(key.id(), key);
                if (previous != null && !previous.sha256().equals(key.sha256())) {
                    byHash.remove(previous.sha256());
                }
            } catch (final IOException e) {
                LOG.warn("Skipping an unreadable API key record under id '{}'", id);
            }
        }
        // Only to free memory: a stale hit is refused by authenticate() anyway.
        verified.invalidateAll();
    }

    /**
     * How long since this instance last knew it held every key change: a revocation written meanwhile may not have
     * reached it. Grows while it is cut off from Kafka.
     */
    public Duration sinceCaughtUp() {
        return Duration.ofNanos(nanosSinceCaughtUp());
    }

    /** {@link #sinceCaughtUp()} in nanoseconds, for the lookup path: no allocation. */
    public long nanosSinceCaughtUp() {
        return log.nanosSinceCaughtUp();
    }

    /** Why key changes are not reaching this instance now, if they are not. */
    public java.util.Optional<String> failure() {
        return log.failure();
    }

    @Override
    public void close() {
        log.close();
    }

    /**
     * A key just created, with the secret shown once.
     *
     * @param key    the stored key
     * @param secret the secret to hand to the user
     */
    public record CreatedKey(ApiKey key, String secret) {
    }
}
