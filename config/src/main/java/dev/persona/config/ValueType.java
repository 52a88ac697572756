package dev.persona.config;

/** The JSON type a Liquid template's output is stored as. */
public enum ValueType {
    /** A number, {@code true}, {@code false}, a JSON object or array when the output reads as one; else a string. */
    AUTO("auto"),
    STRING("string"),
    NUMBER("number"),
    BOOLEAN("boolean"),
    JSON("json");

    private final String configName;

    ValueType(final String configName) {
        this.configName = configName;
    }

    /** The spelling used in the configuration file. */
    public String configName() {
        return configName;
    }
}
