package dev.persona.topology;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One upsert or delete of one source row, as it travels in Kafka.
 *
 * @param op      upsert or delete
 * @param key     the primary-key value as a string
 * @param row     the columns; may be null for a delete
 * @param version grows per key and sync (a CDC LSN, a run sequence); null when the source has none
 * @param ts      when the change happened, epoch milliseconds; null when unknown
 */
public record ChangeRow(Op op, String key, ObjectNode row, Long version, Long ts) {

    /** The two operations of the contract. */
    public enum Op {
        UPSERT("upsert"), DELETE("delete");

        private final String wireName;

        Op(final String wireName) {
            this.wireName = wireName;
        }

        /** The {@code op} value in the envelope. */
        public String wireName() {
            return wireName;
        }
    }

    public static ChangeRow upsert(final String key, final ObjectNode row, final Long version, final Long ts) {
        return new ChangeRow(Op.UPSERT, key, row, version, ts);
    }

    public static ChangeRow delete(final String key, final ObjectNode row, final Long version, final Long ts) {
        return new ChangeRow(Op.DELETE, key, row, version, ts);
    }
}
