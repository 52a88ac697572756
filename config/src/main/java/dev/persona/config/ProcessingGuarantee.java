package dev.persona.config;

/** The Kafka Streams processing guarantee of the merge topology. */
public enum ProcessingGuarantee {
    EXACTLY_ONCE_V2("exactly_once_v2"),
    AT_LEAST_ONCE("at_least_once");

    private final String configName;

    ProcessingGuarantee(final String configName) {
        this.configName = configName;
    }

    /** The spelling used in the configuration file and in Kafka Streams' {@code processing.guarantee}. */
    public String configName() {
        return configName;
    }
}
