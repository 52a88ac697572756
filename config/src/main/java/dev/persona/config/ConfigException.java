package dev.persona.config;

/**
 * A configuration file that cannot be used. The message names the file, the key path inside it
 * and what to change, so that start-up can print it as is and stop.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final String key;
    private final String problem;
    private final String fix;

    public ConfigException(final String file, final String key, final String problem, final String fix) {
        super(file + ": " + (key.isEmpty() ? "" : key + ": ") + problem + (fix.isEmpty() ? "" : ". Fix: " + fix));
        this.file = file;
        this.key = key;
        this.problem = problem;
        this.fix = fix;
    }

    /** The configuration file, as given at start-up. */
    public String file() {
        return file;
    }

    /** The key path inside the file, such as {@code syncs[1].mapping[0].template}; empty for the whole file. */
    public String key() {
        return key;
    }

    /** What is wrong. */
    public String problem() {
        return problem;
    }

    /** What to change. */
    public String fix() {
        return fix;
    }
}
