package dev.persona.api;

/**
 * The conditional-GET decision of a record answer, the same on the fast path and the route: the record's ETag for
 * its shape, and whether the client's {@code If-None-Match} already names it (304, no body).
 *
 * @param etag        the ETag header value
 * @param notModified whether to answer 304
 */
record ConditionalGet(String etag, boolean notModified) {

    static ConditionalGet of(final byte[] stored, final RecordView.Shape shape, final String ifNoneMatch) {
        final String etag = RecordView.etag(stored, shape);
        return new ConditionalGet(etag, etag.equals(ifNoneMatch));
    }
}
