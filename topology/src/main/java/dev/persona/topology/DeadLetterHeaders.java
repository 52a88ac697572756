package dev.persona.topology;

/** Headers Persona puts on a dead-lettered row; its key and value are the original bytes. */
public final class DeadLetterHeaders {
    /** Why the row was rejected, in words. */
    public static final String REASON = "persona.error.reason";
    /** The sync whose row it was. */
    public static final String SYNC = "persona.error.sync";
    /** The topic, partition and offset the row was read from. */
    public static final String TOPIC = "persona.error.topic";
    public static final String PARTITION = "persona.error.partition";
    public static final String OFFSET = "persona.error.offset";

    private DeadLetterHeaders() {
    }
}
