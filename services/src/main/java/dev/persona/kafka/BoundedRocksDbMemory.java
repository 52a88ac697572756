package dev.persona.kafka;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBufferManager;

import java.util.Map;

/**
 * Makes every RocksDB store of an instance share one block cache and one write-buffer manager, so memory stays
 * within {@code kafka.rocksdbMemoryMb} however many partitions the instance holds. Index and filter blocks live in
 * the cache too. Streams creates one setter per store; the shared {@link Resources} arrive through the Streams
 * configuration under {@link #RESOURCES}.
 */
public final class BoundedRocksDbMemory implements RocksDBConfigSetter {
    /** The Streams configuration key holding the instance's {@link Resources}. */
    public static final String RESOURCES = "persona.rocksdb.resources";

    @Override
    public void setConfig(final String storeName, final Options options, final Map<String, Object> configs) {
        final Resources resources = (Resources) configs.get(RESOURCES);
        if (resources == null) {
            throw new IllegalStateException(RESOURCES + " is missing from the Streams configuration: use StreamsSettings.withSharedMemory");
        }
        final BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(resources.cache());
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setWriteBufferManager(resources.writeBuffers());
        options.setTableFormatConfig(table);
    }

    @Override
    public void close(final String storeName, final Options options) {
        // The cache and write-buffer manager are shared: the instance closes them once, after Streams.
    }

    /**
     * One instance's RocksDB memory: a block cache of the whole budget, a quarter of it for memtables (counted
     * against the cache), and high-priority room for index and filter blocks.
     */
    public record Resources(Cache cache, WriteBufferManager writeBuffers) implements AutoCloseable {
        public static Resources ofMegabytes(final int megabytes) {
            // Created before Streams opens any store, so the native library may not be loaded yet.
            RocksDB.loadLibrary();
            final long bytes = megabytes * 1024L * 1024L;
            final LRUCache cache = new LRUCache(bytes, -1, false, 0.1);
            return new Resources(cache, new WriteBufferManager(bytes / 4, cache));
        }

        @Override
        public void close() {
            writeBuffers.close();
            cache.close();
        }
    }
}
