package dev.persona.routing;

import dev.persona.config.CollectionConfig;

/**
 * What a lookup asks for, in the manner of Kafka Streams' {@code StoreQueryParameters}: built with
 * {@link #byIndex}, refined with {@code with...}; immutable.
 *
 * @param collection    the collection
 * @param index         the index the value belongs to
 * @param value         the primary key, or the secondary index value
 * @param caller        who asks, as peers are told: key id and scope
 * @param hop           where the request stands between instances
 */
public record RecordQuery(CollectionConfig collection, IndexRef index, String value, Caller caller, Hop hop) {

    /** A client's lookup of {@code value} in {@code index} of {@code collection}. */
    public static RecordQuery byIndex(final CollectionConfig collection, final IndexRef index, final String value) {
        return new RecordQuery(collection, index, value, Caller.INSTANCE, Hop.FIRST);
    }

    /** A client's lookup by primary key. */
    public static RecordQuery byKey(final CollectionConfig collection, final String key) {
        return byIndex(collection, new IndexRef.Primary(collection.primaryIndex()), key);
    }

    public RecordQuery withCaller(final Caller who) {
        return new RecordQuery(collection, index, value, who, hop);
    }

    public RecordQuery withHop(final Hop next) {
        return new RecordQuery(collection, index, value, caller, next);
    }

    /** The same query for another value (batches). */
    public RecordQuery withValue(final String other) {
        return new RecordQuery(collection, index, other, caller, hop);
    }
}
