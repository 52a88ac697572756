package dev.persona.routing;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
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
 * Finds stored values (records and index entries alike) wherever they live: this instance's store, or another instance's
 * over HTTP. Only the stores the configuration declares can be reached ({@link DeclaredStores}).
 */
public final class StoredValues {
    private final DeclaredStores stores;
    private final long maxStaleLag;
    private final Counter forwards;
    private final Counter standbyReads;
    private final KeyLocator locator;
    private final LocalStoreReader reader;
    private final PeerClient peers;
    private final boolean nearest;
    private final Counter nearestReads;

    public StoredValues(final DeclaredStores stores, final KeyLocator locator, final LocalStoreReader reader, final PeerClient peers,
                        final long maxStaleLag, final MeterRegistry metrics) {
        this(stores, locator, reader, peers, maxStaleLag, dev.persona.config.ReadFrom.OWNER, metrics);
    }

    /** @param readFrom {@code nearest}: this instance's standby copy within {@code maxStaleLag} answers before any forward */
    public StoredValues(final DeclaredStores stores, final KeyLocator locator, final LocalStoreReader reader, final PeerClient peers,
                        final long maxStaleLag, final dev.persona.config.ReadFrom readFrom, final MeterRegistry metrics) {
        this.nearest = readFrom == dev.persona.config.ReadFrom.NEAREST;
        // Not persona_lookups_stale_total: that one means an owner could not answer, and an alert watches it.
        this.nearestReads = metrics.counter("persona.lookups.nearest");
        this.stores = stores;
        this.forwards = metrics.counter("persona.lookups.forwarded", "why", "owner");
        this.standbyReads = metrics.counter("persona.lookups.stale");
        this.maxStaleLag = maxStaleLag;
        this.locator = locator;
        this.reader = reader;
        this.peers = peers;
    }


    /**
     * Looks one key up in this instance's live copy of its partition, without waiting on anything:
     * {@link StoredValue#NOT_HERE} when this instance does not process that partition now (the key lives elsewhere,
     * or partitions are moving), and then {@link #get} finds it.
     */
    public StoredValue getHere(final String store, final String key) {
        stores.require(store);
        final int partition = stores.partition(store, key);
        final StoredValue live = reader.readLive(store, key, partition);
        return live instanceof StoredValue.NotHere && nearest ? nearest(store, key, partition) : live;
    }

    /** The instance that holds the active copy of {@code key} in {@code store}, as {@code host:port}, if one does now. */
    public java.util.Optional<String> owner(final String store, final String key) {
        final KeyLocation location = locator.locate(store, key);
        final HostInfo host = location instanceof KeyLocation.Remote remote ? remote.host()
                : location instanceof KeyLocation.Local ? locator.self() : null;
        return java.util.Optional.ofNullable(host).map(KeyLocator::address);
    }

    /** This instance's advertised address. */
    public HostInfo self() {
        return locator.self();
    }

    /**
     * For a client's lookup of a key that another instance actively owns: that owner's answer, asked without holding a
     * thread (single lookups to the same owner share calls). Null when the key's active owner is not another known
     * instance; then {@link #get} decides (this instance, a standby, or why not).
     */
    public Forward forward(final String store, final String key, final Caller caller) {
        stores.require(store);
        if (!(locator.locate(store, key) instanceof KeyLocation.Remote remote)) {
            return null;
        }
        forwards.increment();
        return new Forward(remote.host(), peers.fetch(remote.host(), store, key, caller, Hop.FORWARDED));
    }

    /** A lookup on its way to the owner {@code owner}. */
    public record Forward(HostInfo owner, CompletableFuture<StoredValue> answer) {
    }

    /** With {@code readFrom: nearest}, this instance's own copy of the key's partition, if fresh enough; else not here. */
    private StoredValue nearest(final String store, final String key, final int partition) {
        final StoredValue value = reader.readNearest(store, key, partition, maxStaleLag);
        if (value instanceof StoredValue.Found found && found.stale()) {
            nearestReads.increment();
        }
        return value;
    }

    /**
     * Looks one key up. For a client's request ({@link Hop#FIRST}), when the active owner cannot answer (rebalancing,
     * restoring, unreachable), a standby copy within {@code maxStaleLag} answers instead, marked stale.
     *
     * @param hop where the request stands: a forwarded one is answered from here or not at all
     * @return never {@link StoredValue.NotHere}: the plan asks whichever copy can answer, or says why none can
     */
    public StoredValue get(final String store, final String key, final Caller caller, final Hop hop) {
        stores.require(store);
        final int partition = stores.partition(store, key);
        final StoredValue live = reader.readLive(store, key, partition);
        if (!(live instanceof StoredValue.NotHere)) {
            return live;
        }
        if (nearest && !hop.forwarded()) {
            final StoredValue own = nearest(store, key, partition);
            if (!(own instanceof StoredValue.NotHere)) {
                return own;
            }
        }
        return read(store, key, caller, ReadPlan.of(locator.locate(store, key), hop, locator.self()), 0, null);
    }

    /**
     * The first answer of the plan's copies from {@code from} on; when none answers, a client's request reports the
     * first failure (the active copy's), a forwarded one its last.
     *
     * @param failed what the copies before {@code from} answered, if they were asked (null when none was)
     */
    private StoredValue read(final String store, final String key, final Caller caller, final ReadPlan plan, final int from,
                             final StoredValue.Unavailable failed) {
        StoredValue first = failed;
        StoredValue last = failed;
        for (final ReadPlan.Copy copy : plan.copies().subList(from, plan.copies().size())) {
            last = read(store, key, caller, copy);
            if (!(last instanceof StoredValue.Unavailable)) {
                if (!plan.hop().forwarded() && (copy instanceof ReadPlan.Copy.StandbyHere || copy instanceof ReadPlan.Copy.StandbyAt)) {
                    standbyReads.increment();
                }
                return last;
            }
            first = first == null ? last : first;
        }
        return plan.hop().forwarded() ? last : first;
    }

    /** One copy's answer. */
    private StoredValue read(final String store, final String key, final Caller caller, final ReadPlan.Copy copy) {
        if (copy instanceof ReadPlan.Copy.ActiveHere here) {
            return reader.read(store, key, here.partition());
        }
        if (copy instanceof ReadPlan.Copy.ActiveAt at) {
            forwards.increment();
            return await(peers.fetch(at.host(), store, key, caller, Hop.FORWARDED));
        }
        if (copy instanceof ReadPlan.Copy.StandbyHere here) {
            return reader.readStandby(store, key, here.partition(), maxStaleLag);
        }
        if (copy instanceof ReadPlan.Copy.StandbyAt at) {
            return await(peers.fetch(at.host(), store, key, caller, Hop.FORWARDED_TO_STANDBY));
        }
        return ((ReadPlan.Copy.Refused) copy).failure();
    }

    /**
     * Looks many keys up: each key's first copy as {@link ReadPlan} orders them (this instance's live or active copy
     * here, the active owners' grouped by owner and asked in parallel, one call each), then, for what that copy could
     * not answer, the rest of the key's plan one key at a time (standbys: the rare path).
     *
     * @param hop where the request stands between instances
     * @return key -> stored value, in the order of {@code keys} (duplicates once); never {@link StoredValue.NotHere}
     */
    public Map<String, StoredValue> getAll(final String store, final List<String> keys, final Caller caller, final Hop hop) {
        stores.require(store);
        final Map<String, StoredValue> results = new LinkedHashMap<>();
        final Map<HostInfo, List<String>> remote = new HashMap<>();
        final Map<String, ReadPlan> plans = new HashMap<>();
        for (final String key : keys) {
            if (results.containsKey(key)) {
                continue;
            }
            final int partition = stores.partition(store, key);
            final StoredValue live = reader.readLive(store, key, partition);
            final StoredValue own = live instanceof StoredValue.NotHere && nearest && !hop.forwarded() ? nearest(store, key, partition) : live;
            if (!(own instanceof StoredValue.NotHere)) {
                results.put(key, own);
                continue;
            }
            final ReadPlan plan = ReadPlan.of(locator.locate(store, key), hop, locator.self());
            plans.put(key, plan);
            final ReadPlan.Copy first = plan.copies().get(0);
            if (first instanceof ReadPlan.Copy.ActiveAt at) {
                remote.computeIfAbsent(at.host(), h -> new ArrayList<>()).add(key);
                results.put(key, StoredValue.NOT_HERE);
            } else {
                results.put(key, read(store, key, caller, first));
            }
        }
        final Map<HostInfo, CompletableFuture<Map<String, StoredValue>>> pending = new HashMap<>();
        remote.forEach((host, hostKeys) -> {
            forwards.increment();
            pending.put(host, peers.fetchAll(host, store, hostKeys, caller, Hop.FORWARDED));
        });
        pending.forEach((host, future) -> results.putAll(awaitBatch(future, remote.get(host), host)));
        // What the first copy could not answer, the rest of the key's plan may (its first copy is not asked twice).
        results.replaceAll((key, lookup) -> lookup instanceof StoredValue.Unavailable failed && plans.containsKey(key)
                ? read(store, key, caller, plans.get(key), 1, failed)
                : lookup instanceof StoredValue.NotHere || lookup instanceof StoredValue.Unavailable ? get(store, key, caller, hop) : lookup);
        return results;
    }

    private static StoredValue await(final CompletableFuture<StoredValue> future) {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (final ExecutionException | TimeoutException e) {
            return new StoredValue.Unavailable(UnavailableReason.OWNER_UNREACHABLE, "the owner did not answer in time");
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return new StoredValue.Unavailable(UnavailableReason.OWNER_UNREACHABLE, "interrupted");
        }
    }

    private static Map<String, StoredValue> awaitBatch(final CompletableFuture<Map<String, StoredValue>> future, final List<String> keys,
                                                       final HostInfo host) {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (final ExecutionException | TimeoutException e) {
            return PeerClient.unavailable(keys, host);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return PeerClient.unavailable(keys, host);
        }
    }
}
