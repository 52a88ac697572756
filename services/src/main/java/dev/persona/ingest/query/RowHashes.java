package dev.persona.ingest.query;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A query sync's previous run, kept small: for each primary key, the 64-bit hash of the row the last run sent. A
 * run marks each key its model still holds; what is left unmarked at its end left the model and is deleted.
 *
 * <p>Sized for models of millions of rows in a small heap (issue 16: 5,000,000 rows within 512 MiB): keys are kept
 * as UTF-8 bytes in pages, entries in fixed-size blocks of primitive arrays that never move, and the slot table is
 * an {@code int[]} with linear probing. About 40 bytes and the key's bytes per key, against some 180 for a
 * {@code HashMap<String, String>}. A removed key keeps its entry, marked absent, and gets it back when it returns.
 * Not thread-safe: one sync's runs are sequential.
 */
final class RowHashes {
    private static final int BLOCK_BITS = 14;
    private static final int BLOCK = 1 << BLOCK_BITS;
    private static final int PAGE = 1 << 20;
    /** The mark of a key no run holds (removed, or its model left it). */
    private static final int ABSENT = -1;
    /** The mark of a key loaded from the state topic, not yet seen by a run of this process. */
    private static final int LOADED = 0;

    private long[][] hashes = new long[0][];
    private long[][] keyRefs = new long[0][];
    private int[][] keyLengths = new int[0][];
    private int[][] keyHashes = new int[0][];
    private int[][] marks = new int[0][];
    private int entries;
    private int present;

    private int[] slots = new int[1 << 10];
    private byte[][] pages = new byte[0][];
    private int pageUsed = PAGE;

    private int run = LOADED;

    /** How many keys the previous run held (and this run has not removed). */
    int size() {
        return present;
    }

    /** Starts a run: from now on {@link #mark} and {@link #put} mark keys as held by it. */
    void startRun() {
        run++;
    }

    /** The entry of a key held now, or -1. */
    int find(final String key) {
        final byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        final int entry = slotEntry(bytes, spread(key.hashCode()));
        return entry >= 0 && mark(entry) != ABSENT ? entry : -1;
    }

    /** The row hash of an entry {@link #find} returned. */
    long hash(final int entry) {
        return hashes[entry >>> BLOCK_BITS][entry & (BLOCK - 1)];
    }

    /** Whether this run has marked the entry already (the model holds its key twice). */
    boolean markedThisRun(final int entry) {
        return mark(entry) == run;
    }

    /** Marks an entry as held by this run, its hash unchanged. */
    void keep(final int entry) {
        marks[entry >>> BLOCK_BITS][entry & (BLOCK - 1)] = run;
    }

    /** Sets a key's hash and marks it as held by this run. */
    void put(final String key, final long hash) {
        final byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        final int keyHash = spread(key.hashCode());
        int entry = slotEntry(bytes, keyHash);
        if (entry < 0) {
            entry = add(bytes, keyHash);
        }
        if (mark(entry) == ABSENT) {
            present++;
        }
        hashes[entry >>> BLOCK_BITS][entry & (BLOCK - 1)] = hash;
        marks[entry >>> BLOCK_BITS][entry & (BLOCK - 1)] = run;
    }

    /** Removes a key, as the state topic's tombstone does. */
    void remove(final String key) {
        final int entry = find(key);
        if (entry >= 0) {
            marks[entry >>> BLOCK_BITS][entry & (BLOCK - 1)] = ABSENT;
            present--;
        }
    }

    /** The keys held before this run that it has not marked: they left the model. */
    void forEachUnmarked(final Consumer<String> key) {
        for (int entry = 0; entry < entries; entry++) {
            final int mark = mark(entry);
            if (mark != ABSENT && mark != run) {
                key.accept(key(entry));
            }
        }
    }

    /**
     * Removes the keys this run did not mark. When more entries are absent than held (a model whose keys come and
     * go), the table is rebuilt with the held ones alone, so that it does not grow with every key it ever saw.
     */
    void removeUnmarked() {
        for (int entry = 0; entry < entries; entry++) {
            final int mark = mark(entry);
            if (mark != ABSENT && mark != run) {
                marks[entry >>> BLOCK_BITS][entry & (BLOCK - 1)] = ABSENT;
                present--;
            }
        }
        if (entries - present > Math.max(present, BLOCK)) {
            compact();
        }
    }

    /** How many entries the table holds, absent ones included: what it costs in memory. */
    int entries() {
        return entries;
    }

    private void compact() {
        final RowHashes held = new RowHashes();
        held.run = run;
        for (int entry = 0; entry < entries; entry++) {
            if (mark(entry) != ABSENT) {
                held.put(key(entry), hash(entry));
            }
        }
        hashes = held.hashes;
        keyRefs = held.keyRefs;
        keyLengths = held.keyLengths;
        keyHashes = held.keyHashes;
        marks = held.marks;
        entries = held.entries;
        present = held.present;
        slots = held.slots;
        pages = held.pages;
        pageUsed = held.pageUsed;
    }

    private int mark(final int entry) {
        return marks[entry >>> BLOCK_BITS][entry & (BLOCK - 1)];
    }

    private String key(final int entry) {
        final long ref = keyRefs[entry >>> BLOCK_BITS][entry & (BLOCK - 1)];
        return new String(pages[(int) (ref >>> 32)], (int) ref, keyLengths[entry >>> BLOCK_BITS][entry & (BLOCK - 1)], StandardCharsets.UTF_8);
    }

    /** The entry holding these key bytes, absent or not, or -1. */
    private int slotEntry(final byte[] key, final int keyHash) {
        final int mask = slots.length - 1;
        for (int slot = keyHash & mask; ; slot = (slot + 1) & mask) {
            final int entry = slots[slot] - 1;
            if (entry < 0) {
                return -1;
            }
            if (keyHashes[entry >>> BLOCK_BITS][entry & (BLOCK - 1)] == keyHash && sameKey(entry, key)) {
                return entry;
            }
        }
    }

    private boolean sameKey(final int entry, final byte[] key) {
        final int length = keyLengths[entry >>> BLOCK_BITS][entry & (BLOCK - 1)];
        if (length != key.length) {
            return false;
        }
        final long ref = keyRefs[entry >>> BLOCK_BITS][entry & (BLOCK - 1)];
        final int offset = (int) ref;
        return Arrays.equals(pages[(int) (ref >>> 32)], offset, offset + length, key, 0, length);
    }

    private int add(final byte[] key, final int keyHash) {
        if ((entries + 1) * 10L > slots.length * 7L) {
            resize();
        }
        final int entry = entries++;
        if ((entry >>> BLOCK_BITS) == hashes.length) {
            final int blocks = hashes.length + 1;
            hashes = Arrays.copyOf(hashes, blocks);
            keyRefs = Arrays.copyOf(keyRefs, blocks);
            keyLengths = Arrays.copyOf(keyLengths, blocks);
            keyHashes = Arrays.copyOf(keyHashes, blocks);
            marks = Arrays.copyOf(marks, blocks);
            hashes[blocks - 1] = new long[BLOCK];
            keyRefs[blocks - 1] = new long[BLOCK];
            keyLengths[blocks - 1] = new int[BLOCK];
            keyHashes[blocks - 1] = new int[BLOCK];
            marks[blocks - 1] = new int[BLOCK];
            Arrays.fill(marks[blocks - 1], ABSENT);
        }
        keyRefs[entry >>> BLOCK_BITS][entry & (BLOCK - 1)] = store(key);
        keyLengths[entry >>> BLOCK_BITS][entry & (BLOCK - 1)] = key.length;
        keyHashes[entry >>> BLOCK_BITS][entry & (BLOCK - 1)] = keyHash;
        insertSlot(entry, keyHash);
        return entry;
    }

    private long store(final byte[] key) {
        if (pageUsed + key.length > PAGE || pages.length == 0) {
            pages = Arrays.copyOf(pages, pages.length + 1);
            pages[pages.length - 1] = new byte[Math.max(PAGE, key.length)];
            pageUsed = 0;
        }
        final int page = pages.length - 1;
        System.arraycopy(key, 0, pages[page], pageUsed, key.length);
        final long ref = ((long) page << 32) | pageUsed;
        pageUsed += key.length;
        return ref;
    }

    private void resize() {
        slots = new int[slots.length * 2];
        for (int entry = 0; entry < entries; entry++) {
            insertSlot(entry, keyHashes[entry >>> BLOCK_BITS][entry & (BLOCK - 1)]);
        }
    }

    private void insertSlot(final int entry, final int keyHash) {
        final int mask = slots.length - 1;
        int slot = keyHash & mask;
        while (slots[slot] != 0) {
            slot = (slot + 1) & mask;
        }
        slots[slot] = entry + 1;
    }

    /** String hash codes of sequential ids differ in their low bits only a little: mixed, as HashMap does and more. */
    private static int spread(final int hash) {
        final int h = hash * 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
