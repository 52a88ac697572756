package dev.persona.topology;

/**
 * Headers Persona puts on a dead-lettered row. Its key is the original key (ingest: the primary key); its value is
 * the original bytes, or none where the payload is what was wrong (too large for Kafka) or there was none.
 */
public final class DeadLetterHeaders {
    /** Why the row was rejected, in words. */
    public static final String REASON = "persona.error.reason";
    /** The sync whose row it was. */
    public static final String SYNC = "persona.error.sync";
    /** The topic, partition and offset the row was read from. */
    public static final String TOPIC = "persona.error.topic";
    public static final String PARTITION = "persona.error.partition";
    public static final String OFFSET = "persona.error.offset";
    /** The change's version where it had one (a CDC LSN, a query sync's run version). */
    public static final String VERSION = "persona.error.version";
    /**
     * Set on a dead letter whose row had no key: it is keyed by a made-up {@code unkeyed-<uuid>} instead, because the
     * dead-letter topic is compacted (a purge removes a key's dead letters) and a compacted topic takes no null key.
     */
    public static final String UNKEYED = "persona.error.unkeyed";

    /** The key a dead letter is written with: its row's, or a made-up one (with {@link #UNKEYED}) when it had none. */
    public static byte[] keyOf(final byte[] rowKey, final org.apache.kafka.common.header.Headers headers) {
        if (rowKey != null) {
            return rowKey;
        }
        headers.add(UNKEYED, new byte[] {1});
        return ("unkeyed-" + java.util.UUID.randomUUID()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private DeadLetterHeaders() {
    }
}
