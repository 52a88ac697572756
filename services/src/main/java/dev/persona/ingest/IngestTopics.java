package dev.persona.ingest;

import dev.persona.config.PersonaConfig;
import dev.persona.config.SourceConfig;
import dev.persona.config.SyncConfig;

import java.util.Comparator;
import java.util.List;

/**
 * The topics of ingest, all named from {@code kafka.topicPrefix}:
 * <ul>
 *   <li>{@code <prefix>.sync-control}: one partition per CDC or query sync; its consumer group decides which
 *       instance runs which sync, and it carries "run now" requests to that instance;</li>
 *   <li>{@code <prefix>.sync-runs}: run history, compacted, followed by every instance;</li>
 *   <li>{@code <prefix>.<collection>.<sync>.state}: a query sync's previous result (key -> row hash), compacted;</li>
 *   <li>{@code <prefix>.cdc-offsets}: Debezium's source offsets.</li>
 * </ul>
 */
public final class IngestTopics {
    private IngestTopics() {
    }

    public static String control(final PersonaConfig config) {
        return config.kafka().topicPrefix() + ".sync-control";
    }

    public static String runs(final PersonaConfig config) {
        return config.kafka().topicPrefix() + ".sync-runs";
    }

    public static String state(final PersonaConfig config, final SyncConfig sync) {
        return config.kafka().topicPrefix() + "." + sync.collection() + "." + sync.id() + ".state";
    }

    public static String cdcOffsets(final PersonaConfig config) {
        return config.kafka().topicPrefix() + ".cdc-offsets";
    }

    /** The syncs Persona runs itself (CDC and query), sorted by id: sync {@code i} owns control partition {@code i}. */
    public static List<SyncConfig> runnable(final PersonaConfig config) {
        return config.syncs().stream().filter(s -> !(s.source() instanceof SourceConfig.Topic))
                .sorted(Comparator.comparing(SyncConfig::id)).toList();
    }
}
