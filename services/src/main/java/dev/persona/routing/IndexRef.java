package dev.persona.routing;

import dev.persona.config.CollectionConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** An index of a collection that a lookup names: its primary index, or one of its declared secondary indices. */
public sealed interface IndexRef {

    /** The index's field name. */
    String name();

    /** The collection's primary index. */
    record Primary(String name) implements IndexRef {
    }

    /** A declared secondary index. */
    record Secondary(String name) implements IndexRef {
    }

    /** The index {@code name} names in {@code collection}, or empty when the collection declares no such index. */
    static Optional<IndexRef> of(final CollectionConfig collection, final String name) {
        if (name.equals(collection.primaryIndex())) {
            return Optional.of(new Primary(name));
        }
        return collection.secondaryIndices().contains(name) ? Optional.of(new Secondary(name)) : Optional.empty();
    }

    /** The index names {@code collection} answers to, primary first: for the error that names them. */
    static List<String> declared(final CollectionConfig collection) {
        final List<String> names = new ArrayList<>(List.of(collection.primaryIndex()));
        names.addAll(collection.secondaryIndices());
        return names;
    }
}
