package dev.persona.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The demo's configuration: customers whose profile fields and usage fields come from two query syncs over the
 * {@link DemoWarehouse}.
 */
public final class DemoConfig {
    private DemoConfig() {
    }

    /** The demo configuration file: collection {@code customers}, destination {@code demo}, syncs {@code profiles} and {@code usage}. */
    public static String configYaml(final Path warehouse) {
        return """
                # Written by `persona demo`. Start a second instance of the demo's cluster with:
                #   ./persona serve --config <this file> --bootstrap-servers <the demo's Kafka bootstrap> --port 8081
                collections:
                  - name: customers
                    primaryIndex: user_id
                    secondaryIndices: [email]
                    partitions: 6
                destinations:
                  - id: demo
                    collections: [customers]
                syncs:
                  - id: profiles
                    collection: customers
                    source:
                      type: query
                      connection: "jdbc:duckdb:%1$s"
                      sql: select id, name, email, ltv, churn_risk, summary from profiles
                      schedule: every 10s
                    primaryKey: id
                    mapping:
                      - { from: name, to: full_name }
                      - { from: email }
                      - { template: "{{ ltv | round: 2 }}", to: lifetime_value }
                      - { from: churn_risk }
                      - { from: summary, to: 90_day_summary }
                    onDelete: delete_record
                  - id: usage
                    collection: customers
                    source:
                      type: query
                      connection: "jdbc:duckdb:%1$s"
                      sql: select user_id, count(*) as num_messages_sent, max(ts) as last_login_at from events group by user_id
                      schedule: every 10s
                    primaryKey: user_id
                    mapping: [ { from: num_messages_sent }, { from: last_login_at } ]
                    onDelete: clear_fields
                """.formatted(warehouse);
    }

    /** The demo's warehouse file under {@code home}. */
    public static Path warehouse(final Path home) {
        return home.resolve("demo").resolve("warehouse.duckdb");
    }

    /** Writes the demo configuration under {@code home} and returns its path. */
    public static Path writeConfig(final Path home) {
        final Path dir = home.resolve("demo");
        final Path file = dir.resolve("persona.yaml");
        try {
            Files.createDirectories(dir);
            Files.writeString(file, configYaml(warehouse(home)));
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write the demo configuration " + file, e);
        }
        return file;
    }

}
