package dev.persona.config;

/** How the values of a {@code topic} source are encoded. */
public enum ValueFormat {
    /** Persona's change-row envelope: {@code {"op", "row", "version", "ts"}}. */
    ENVELOPE("envelope"),
    /** A plain JSON object, one row: always an upsert; a tombstone deletes. */
    ROW("row"),
    /** Debezium's JSON change events, with or without the schema wrapper. */
    DEBEZIUM("debezium");

    private final String configName;

    ValueFormat(final String configName) {
        this.configName = configName;
    }

    /** The spelling used in the configuration file. */
    public String configName() {
        return configName;
    }
}
