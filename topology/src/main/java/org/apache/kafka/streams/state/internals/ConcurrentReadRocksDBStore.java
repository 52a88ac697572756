package org.apache.kafka.streams.state.internals;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.rocksdb.RocksDBException;

import java.util.concurrent.locks.StampedLock;

/**
 * Kafka Streams' RocksDB key-value store, whose point reads wait for nothing the stream thread does.
 * <p>
 * {@link RocksDBStore}'s {@code get}, {@code put}, {@code delete} and {@code commit} are {@code synchronized} on the
 * store: a lookup from an HTTP thread waits behind every write of the stream thread and behind a commit, which
 * flushes the memtable and can hold the monitor for tens of milliseconds (a sync burst made lookups wait 10-19 ms,
 * docs/performance.md). RocksDB itself serves reads concurrently with writes, flushes and compactions; the monitor
 * only keeps a read from touching a database being closed. Here a read takes the read side of a lock that only
 * {@link #init} and {@link #close} take exclusively, so it runs beside writes and commits and never past a close.
 * Everything else (writes, restore, offsets kept in the store, the RocksDB configuration and metrics) is
 * Kafka Streams' own.
 * <p>
 * It lives in Kafka Streams' package because the database handle it reads through is package-private there: a Kafka
 * version that changes that handle fails to compile it, and {@code ConcurrentReadRocksDBStoreTest} fails if a read
 * waits on the monitor again.
 */
public final class ConcurrentReadRocksDBStore extends RocksDBStore {
    private final StampedLock lifecycle = new StampedLock();

    /** A store named {@code name}, in the state directory and under the metrics scope of Kafka Streams' own. */
    public ConcurrentReadRocksDBStore(final String name) {
        super(name, "rocksdb");
    }

    @Override
    public void init(final StateStoreContext context, final StateStore root) {
        final long stamp = lifecycle.writeLock();
        try {
            super.init(context, root);
        } finally {
            lifecycle.unlockWrite(stamp);
        }
    }

    /**
     * The value of {@code key}, read without the store's monitor.
     *
     * @throws InvalidStateStoreException when the store is not open (closed, or not yet initialised)
     * @throws ProcessorStateException    when RocksDB fails the read
     */
    @Override
    public byte[] get(final Bytes key) {
        final long stamp = lifecycle.readLock();
        try {
            final ColumnFamilyAccessor columns = cfAccessor;
            final DBAccessor database = dbAccessor;
            if (!isOpen() || columns == null || database == null) {
                throw new InvalidStateStoreException("Store " + name + " is currently closed.");
            }
            return columns.get(database, key.get());
        } catch (final RocksDBException e) {
            throw new ProcessorStateException("Error while getting value for key from store " + name, e);
        } finally {
            lifecycle.unlockRead(stamp);
        }
    }

    @Override
    public void close() {
        final long stamp = lifecycle.writeLock();
        try {
            super.close();
        } finally {
            lifecycle.unlockWrite(stamp);
        }
    }
}
