package dev.persona.config;

/** What happens to a record when a row leaves a sync's source. */
public enum OnDelete {
    /** Keep every field. */
    IGNORE("ignore"),
    /** Remove only the fields the sync owns; other syncs' fields stay. */
    CLEAR_FIELDS("clear_fields"),
    /** Remove the whole record; lookups answer 404. */
    DELETE_RECORD("delete_record");

    private final String configName;

    OnDelete(final String configName) {
        this.configName = configName;
    }

    /** The spelling used in the configuration file. */
    public String configName() {
        return configName;
    }
}
