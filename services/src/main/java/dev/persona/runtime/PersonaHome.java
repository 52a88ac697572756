package dev.persona.runtime;

import java.nio.file.Path;

/** {@code PERSONA_HOME}: where Persona keeps local data (embedded broker, state, demo files); default {@code ./.persona}. */
public final class PersonaHome {
    private PersonaHome() {
    }

    public static Path resolve() {
        final String home = System.getenv("PERSONA_HOME");
        return Path.of(home == null || home.isBlank() ? ".persona" : home).toAbsolutePath().normalize();
    }
}
