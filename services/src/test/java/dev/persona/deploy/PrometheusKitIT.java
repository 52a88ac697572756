package dev.persona.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.DuckDb;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestConfigs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import dev.persona.testing.TestPostgres;
import dev.persona.topology.Json;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The alert rules and the Grafana dashboard name only metrics a running instance serves: an instance with a CDC, a
 * query and a topic sync, a rate-limited key and a merged change, whose {@code /metrics} must come to hold every
 * metric {@code deploy/prometheus/alerts.yaml} and {@code deploy/grafana/persona.json} use.
 */
class PrometheusKitIT {
    private static final String ADMIN = "kit-admin";
    private static final Path DEPLOY = Path.of("..", "deploy");
    private static final Pattern METRIC = Pattern.compile("\\b((?:persona|kafka|jvm|process)_[a-z0-9_]+)\\b");

    /** The metric names in PromQL expressions. */
    static Set<String> metricsIn(final Iterable<String> expressions) {
        final Set<String> names = new TreeSet<>();
        for (final String expression : expressions) {
            final Matcher matcher = METRIC.matcher(expression);
            while (matcher.find()) {
                names.add(matcher.group(1));
            }
        }
        return names;
    }

    static Set<String> alertMetrics() throws IOException {
        final JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(DEPLOY.resolve("prometheus/alerts.yaml").toFile());
        return metricsIn(rules.findValuesAsText("expr"));
    }

    static Set<String> dashboardMetrics() throws IOException {
        final JsonNode dashboard = Json.mapper().readTree(DEPLOY.resolve("grafana/persona.json").toFile());
        return metricsIn(dashboard.findValuesAsText("expr"));
    }

    /** The value of the series named exactly so in an exposition, or -1 when absent or not a finite number. */
    static double finite(final String exposition, final String series) {
        for (final String line : exposition.split("\n")) {
            if (line.startsWith(series + " ")) {
                final double value = Double.parseDouble(line.substring(series.length() + 1).trim());
                return Double.isFinite(value) ? value : -1;
            }
        }
        return -1;
    }

    @Test
    void shouldServeEveryMetricTheAlertsAndTheDashboardUse() throws Exception {
        final Set<String> wanted = new TreeSet<>(alertMetrics());
        wanted.addAll(dashboardMetrics());
        assertTrue(wanted.size() > 15, "metrics found in the kit: " + wanted);
        final String table = "persona_" + TestKafka.uniqueName("kit").toLowerCase();
        TestPostgres.execute("drop table if exists " + table, "create table " + table + " (id int primary key, name text)",
                "insert into " + table + " values (1, 'Ann')");
        final Path dir = Files.createTempDirectory("persona-kit");
        try (TestKafka kafka = TestKafka.start()) {
            final DuckDb warehouse = TestConfigs.plansWarehouse(dir.resolve("warehouse.duckdb"), "('7', 'pro')");
            final String app = TestKafka.uniqueName("kit");
            final String yaml = TestConfigs.customersYaml(kafka.bootstrapServers(), app) + TestConfigs.plansSync(warehouse, "every 2s") + """
                      - id: contacts
                        collection: products
                        source: { type: cdc, connection: "%s", table: public.%s }
                        primaryKey: id
                        mapping: [ { from: name } ]
                    """.formatted(TestPostgres.url(), table);
            final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(Path.of(app + ".yaml"), yaml);
            try (PersonaInstance instance = PersonaInstance.start(config, InstanceOptions.local(dir.resolve("state"), dir).withAdminKey(ADMIN))) {
                final TestHttp http = new TestHttp(instance.port());
                try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
                    TestConfigs.produce(producer, config, "customers", "profiles", "7", "{\"id\":7,\"name\":\"Jane\",\"email\":\"jane@example.com\"}");
                }
                final String limited = Json.mapper().readTree(http.post("/admin/keys", "{\"name\":\"limited\",\"rate\":\"1/m\",\"collections\":[\"customers\"]}", bearer(ADMIN)).body())
                        .path("key").asText();
                Poll.until(Duration.ofMinutes(3), "every metric of the kit on /metrics", () -> {
                    http.get("/v1/collections/customers/records/id/7", bearer(limited));
                    http.get("/v1/collections/customers/records/id/7", bearer(ADMIN));
                    final Set<String> served = Arrays.stream(http.get("/metrics", bearer(ADMIN)).body().split("\n"))
                            .filter(line -> !line.startsWith("#") && !line.isBlank())
                            .map(line -> line.split("[{ ]", 2)[0]).collect(Collectors.toSet());
                    final Set<String> missing = new TreeSet<>(wanted);
                    missing.removeAll(served);
                    if (!missing.isEmpty()) {
                        System.out.println("PrometheusKitIT: not served yet: " + missing);
                    }
                    return missing.isEmpty();
                });
                // Present is not enough: the gauges the alerts compare must carry real values.
                Poll.until(Duration.ofMinutes(1), "real values for slot lag, last success age and readiness", () -> {
                    final String body = http.get("/metrics", bearer(ADMIN)).body();
                    return finite(body, "persona_cdc_slot_lag_bytes{sync=\"contacts\"}") >= 0
                            && finite(body, "persona_sync_last_success_age_seconds{sync=\"plans\"}") >= 0
                            && finite(body, "persona_instance_ready") == 1.0;
                });
            }
        } finally {
            TempDirs.delete(dir);
        }
    }
}
