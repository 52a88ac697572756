package dev.persona.topology.internals;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.internals.ConcurrentReadRocksDBStore;

/**
 * Persistent stores whose point reads never wait on the stream thread: {@code Stores.persistentKeyValueStore(name)}
 * with {@link ConcurrentReadRocksDBStore} in place of Kafka Streams' RocksDB store.
 */
public final class ConcurrentReadStores {
    private ConcurrentReadStores() {
    }

    /** A supplier of the persistent store {@code name}, as {@code Stores.persistentKeyValueStore} would make it. */
    public static KeyValueBytesStoreSupplier persistent(final String name) {
        return new KeyValueBytesStoreSupplier() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public KeyValueStore<Bytes, byte[]> get() {
                return new ConcurrentReadRocksDBStore(name);
            }

            @Override
            public String metricsScope() {
                return "rocksdb";
            }
        };
    }
}
