package dev.persona.topology.internals;

/** The outcome of reading one row: a value to pass on, or the original bytes bound for the dead-letter topic. */
public sealed interface Routed<V> {

    /** A row that was read. */
    record Ok<V>(V value) implements Routed<V> {
    }

    /** A row that was not, with its original key and value; the reason travels in headers. */
    record Failed<V>(byte[] key, byte[] value) implements Routed<V> {
    }

    /** A sample of a merge, for the run debugger: key {@code <run>/<record key>}, value its JSON. */
    record Sampled<V>(byte[] key, byte[] value) implements Routed<V> {
    }
}
