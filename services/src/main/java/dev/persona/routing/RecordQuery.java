package dev.persona.routing;

import dev.persona.config.CollectionConfig;

/**
 * What a lookup asks for, in the manner of Kafka Streams' {@code StoreQueryParameters}: built with
 * {@link #byIndex}, refined with {@code with...}; immutable.
 *
 * @param collection    the collection
 * @param index         the index the value belongs to
 * @param value         the primary key, or the secondary index value
 * @param authorization the caller's {@code Authorization} header, passed on to peers; may be null
 * @param hop           where the request stands between instances
 */
public record RecordQuery(CollectionConfig collection, IndexRef index, String value, String authorization, Hop hop) {

    /** A client's lookup of {@code value} in {@code index} of {@code collection}. */
    public static RecordQuery byIndex(final CollectionConfig collection, final IndexRef index, final String value) {
        return new RecordQuery(collection, index, value, null, Hop.FIRST);
    }

    /** A client's lookup by primary key. */
    public static RecordQuery byKey(final CollectionConfig collection, final String key) {
        return byIndex(collection, new IndexRef.Primary(collection.primaryIndex()), key);
    }

    public RecordQuery withAuthorization(final String header) {
        return new RecordQuery(collection, index, value, header, hop);
    }

    public RecordQuery withHop(final Hop next) {
        return new RecordQuery(collection, index, value, authorization, next);
    }

    /** The same query for another value (batches). */
    public RecordQuery withValue(final String other) {
        return new RecordQuery(collection, index, other, authorization, hop);
    }
}
