package dev.persona.config;

/** Which copy of a key answers a lookup ({@code kafka.readFrom}). */
public enum ReadFrom {
    /**
     * The active owner, forwarded to when it is another instance; a standby copy within {@code maxStaleLag} only
     * when the owner cannot answer.
     */
    OWNER("owner"),
    /**
     * This instance's own copy when it holds one: the active one, or a standby within {@code maxStaleLag} (the answer
     * then says so: {@code X-Persona-Stale}, {@code X-Persona-Lag}); forwarded only when it holds none. With
     * {@code standbyReplicas} one less than the instances, every instance holds every partition and no lookup hops.
     */
    NEAREST("nearest");

    private final String configName;

    ReadFrom(final String configName) {
        this.configName = configName;
    }

    /** The spelling in the configuration file. */
    public String configName() {
        return configName;
    }
}
