package dev.persona.routing;

import org.apache.kafka.streams.state.HostInfo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Finds stored values (records, index entries) wherever they live: this instance's store, or another instance's
 * over HTTP. Only the stores the configuration declares can be reached ({@link DeclaredStores}).
 */
public final class RecordLookup {
    private final DeclaredStores stores;
    private final KeyLocator locator;
    private final LocalStoreReader reader;
    private final PeerClient peers;

    public RecordLookup(final DeclaredStores stores, final KeyLocator locator, final LocalStoreReader reader, final PeerClient peers) {
        this.stores = stores;
        this.locator = locator;
        this.reader = reader;
        this.peers = peers;
    }

    /**
     * Looks one key up.
     *
     * @param forwarded true when another instance sent the request: answer from here or not at all
     */
    public Lookup get(final String store, final String key, final String authorization, final boolean forwarded) {
        stores.require(store);
        final KeyLocation location = locator.locate(store, key);
        if (location instanceof KeyLocation.Local local) {
            return reader.read(store, key, local.partition());
        }
        if (location instanceof KeyLocation.Remote remote) {
            if (forwarded) {
                return new Lookup.Unavailable("the key moved to " + remote.host() + "; not forwarding a forwarded request");
            }
            return await(peers.fetch(remote.host(), store, key, authorization));
        }
        return new Lookup.Unavailable(((KeyLocation.Unknown) location).reason());
    }

    /**
     * Looks many keys up: local ones here, the others grouped by owner and fetched in parallel.
     *
     * @return key -> lookup, in the order of {@code keys} (duplicates once)
     */
    public Map<String, Lookup> getAll(final String store, final List<String> keys, final String authorization, final boolean forwarded) {
        stores.require(store);
        final Map<String, Lookup> results = new LinkedHashMap<>();
        final Map<HostInfo, List<String>> remote = new HashMap<>();
        for (final String key : keys) {
            if (results.containsKey(key)) {
                continue;
            }
            results.put(key, null);
            final KeyLocation location = locator.locate(store, key);
            if (location instanceof KeyLocation.Local local) {
                results.put(key, reader.read(store, key, local.partition()));
            } else if (location instanceof KeyLocation.Remote r && !forwarded) {
                remote.computeIfAbsent(r.host(), h -> new ArrayList<>()).add(key);
            } else if (location instanceof KeyLocation.Remote r) {
                results.put(key, new Lookup.Unavailable("the key moved to " + r.host()));
            } else {
                results.put(key, new Lookup.Unavailable(((KeyLocation.Unknown) location).reason()));
            }
        }
        final Map<HostInfo, CompletableFuture<PeerClient.PeerBatch>> pending = new HashMap<>();
        remote.forEach((host, hostKeys) -> pending.put(host, peers.fetchAll(host, store, hostKeys, authorization)));
        pending.forEach((host, future) -> {
            final PeerClient.PeerBatch batch = awaitBatch(future, remote.get(host));
            batch.found().forEach((key, stored) -> results.put(key, new Lookup.Found(stored)));
            batch.missing().forEach(key -> results.put(key, Lookup.ABSENT));
            batch.unavailable().forEach(key -> results.put(key, new Lookup.Unavailable(host + " could not answer")));
        });
        results.replaceAll((key, lookup) -> lookup == null ? new Lookup.Unavailable("no answer") : lookup);
        return results;
    }

    private static Lookup await(final CompletableFuture<Lookup> future) {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (final ExecutionException | TimeoutException e) {
            return new Lookup.Unavailable("the owner did not answer in time");
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Lookup.Unavailable("interrupted");
        }
    }

    private static PeerClient.PeerBatch awaitBatch(final CompletableFuture<PeerClient.PeerBatch> future, final List<String> keys) {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (final ExecutionException | TimeoutException e) {
            return PeerClient.PeerBatch.unavailable(keys);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return PeerClient.PeerBatch.unavailable(keys);
        }
    }
}
