package dev.persona.ingest;

import dev.persona.config.PersonaConfig;
import dev.persona.config.SyncConfig;

import java.util.Comparator;
import java.util.List;

/** The syncs Persona runs itself (CDC and query), in the order that gives each its control partition. */
public final class RunnableSyncs {
    private RunnableSyncs() {
    }

    /** CDC and query syncs sorted by id: sync {@code i} owns partition {@code i} of the control topic. */
    public static List<SyncConfig> of(final PersonaConfig config) {
        return config.syncs().stream().filter(s -> s.source().runByOneInstance())
                .sorted(Comparator.comparing(SyncConfig::id)).toList();
    }
}
