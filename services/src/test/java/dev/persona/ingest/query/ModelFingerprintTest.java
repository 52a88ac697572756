package dev.persona.ingest.query;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.config.SourceConfig;
import dev.persona.config.SyncConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** What makes a query sync's next run a full resync. */
class ModelFingerprintTest {
    private static final String YAML = """
            collections: [ { name: customers, primaryIndex: user_id, partitions: 1 } ]
            syncs:
              - id: usage
                collection: customers
                source: { type: query, connection: "jdbc:duckdb:", sql: "select * from usage", schedule: every 1m }
                primaryKey: user_id
                mapping: MAPPING
            """;

    private static String fingerprint(final String mapping) {
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(Path.of("f.yaml"), YAML.replace("MAPPING", mapping));
        final SyncConfig sync = config.syncs().get(0);
        return QuerySyncWorker.modelFingerprint((SourceConfig.Query) sync.source(), sync);
    }

    @Test
    void shouldKeepTheFingerprintOfASyncWithoutInclusionAsItWas() {
        final String mapping = "[ { from: num_messages_sent } ]";
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(Path.of("f.yaml"), YAML.replace("MAPPING", mapping));
        final SyncConfig sync = config.syncs().get(0);
        final SourceConfig.Query source = (SourceConfig.Query) sync.source();
        // The formula of earlier releases: an upgrade must not resync every query sync.
        assertEquals(SyncState.fingerprint(source.sql() + "\n" + sync.primaryKey() + "\n" + sync.collection() + "\n" + sync.mapping()),
                fingerprint(mapping));
    }

    @Test
    void shouldResyncWhenTheInclusionOrItsExclusionsChange() {
        final String explicit = fingerprint("[ { from: num_messages_sent } ]");
        final String all = fingerprint("[ { from: num_messages_sent }, { include: \"*\" } ]");
        final String allButSsn = fingerprint("[ { from: num_messages_sent }, { include: \"*\", exclude: [ssn] } ]");
        assertNotEquals(explicit, all);
        assertNotEquals(all, allButSsn);
        assertEquals(allButSsn, fingerprint("[ { from: num_messages_sent }, { include: \"*\", exclude: [ssn] } ]"));
    }
}
