package dev.persona.ingest;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.demo.DemoConfig;
import dev.persona.demo.DemoWarehouse;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.DuckDb;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo's own configuration and warehouse: Jane Doe merged from two query syncs, and an edit seen within a run. */
class DemoWarehouseIT {
    @Test
    void shouldServeTheDemoCustomersAndShowAWarehouseEditAfterTheNextRun() throws Exception {
        final Path home = Files.createTempDirectory("persona-demo-home");
        try (TestKafka kafka = TestKafka.start()) {
            assertTrue(DemoWarehouse.createIfMissing(DemoConfig.warehouse(home), 200));
            assertFalse(DemoWarehouse.createIfMissing(DemoConfig.warehouse(home), 200), "an existing warehouse is kept");
            final PersonaConfig file = ConfigLoader.withEnvironment(Map.of()).load(DemoConfig.writeConfig(home));
            final PersonaConfig config = file.withKafka(file.kafka().withBootstrapServers(kafka.bootstrapServers()));
            try (PersonaInstance instance = PersonaInstance.start(config, InstanceOptions.local(home.resolve("state"), home).withAdminKey("demo-it"))) {
                final TestHttp http = new TestHttp(instance.port());
                final String jane = Poll.until(Duration.ofSeconds(60), "Jane Doe from both syncs", () -> {
                    final String body = http.get("/v1/collections/customers/records/id/1", bearer("demo-it")).body();
                    return body.contains("full_name") && body.contains("num_messages_sent") ? java.util.Optional.of(body) : java.util.Optional.empty();
                });
                assertTrue(jane.startsWith("{\"user_id\":1,\"full_name\":\"Jane Doe\",\"email\":\"jane.doe@example.com\",\"lifetime_value\":1492.18,"
                        + "\"churn_risk\":0.04,\"90_day_summary\":{\"num_songs_listened\":813,\"top_genres\":[\"house\",\"techno\",\"ambient\"],"
                        + "\"top_artists\":[\"deadmau5\",\"Marsh\",\"Enamour\"]},\"num_messages_sent\":"), jane);
                Poll.until(Duration.ofSeconds(60), "the last customer", () ->
                        http.get("/v1/collections/customers/records/id/200", bearer("demo-it")).statusCode() == 200);

                new DuckDb(DemoConfig.warehouse(home)).execute("update profiles set name = 'Janet Doe' where id = 1");
                Poll.until(Duration.ofSeconds(30), "the edit through the API within a run (every 10s)",
                        () -> http.get("/v1/collections/customers/records/id/1", bearer("demo-it")).body().contains("Janet Doe"));
            }
        } finally {
            TempDirs.delete(home);
        }
    }
}
