package dev.persona.kafka;

import java.nio.file.Path;

/**
 * Another process runs an embedded broker on the same data directory. Kafka itself locks its log directory only
 * after the metadata log is open, so a second broker would first truncate the running broker's metadata log as
 * if it were torn; Persona refuses before Kafka starts.
 */
public final class DataDirectoryInUseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** {@code dataDir} is held by another process. */
    public DataDirectoryInUseException(final Path dataDir) {
        super("another Persona process runs an embedded Kafka broker on " + dataDir
                + ": stop it, or give this one a PERSONA_HOME of its own");
    }
}
