package dev.persona.topology;

import java.util.Map;

/**
 * What Persona knows about a record besides its fields: a revision that grows whenever the record's content
 * changes (the ETag), when it last changed, which sync wrote each field, and each sync's last applied version.
 *
 * @param revision  grows by one whenever the record's JSON changes
 * @param updatedAt epoch milliseconds of the last applied change
 * @param fields    field name -> who wrote it, in record order
 * @param syncs     sync id -> its last applied position
 */
public record RecordMeta(long revision, long updatedAt, Map<String, FieldProvenance> fields, Map<String, SyncPosition> syncs) {

    /**
     * Who wrote one field.
     *
     * @param sync      the owning sync
     * @param version   the version of the change that wrote it; null when the source has none
     * @param updatedAt epoch milliseconds of that change
     */
    public record FieldProvenance(String sync, Long version, long updatedAt) {
    }

    /**
     * The last change applied from one sync to this key.
     *
     * @param version   its version; null when the source has none
     * @param updatedAt epoch milliseconds of that change
     */
    public record SyncPosition(Long version, long updatedAt) {
    }
}
