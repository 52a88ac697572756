package dev.persona.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SecretsTest {
    private static final String PLANTED = "Planted-S3cret+9f2";

    private static PersonaConfig config() {
        return ConfigLoader.withEnvironment(Map.of("PG", PLANTED, "JAAS_PW", "kafka-pw-77", "CLUSTER", "c".repeat(20))).parse(Path.of("s.yaml"), """
                kafka:
                  bootstrapServers: "k:9092"
                  properties:
                    sasl.jaas.config: 'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="${JAAS_PW}";'
                http: { clusterSecret: "${CLUSTER}" }
                collections: [ { name: people, primaryIndex: person_id } ]
                syncs:
                  - id: people
                    collection: people
                    source: { type: query, connection: "jdbc:postgresql://db:5432/app?user=app&password=${PG}", sql: "select 1 as id", schedule: "every 1m" }
                    primaryKey: id
                    mapping: [ { from: id } ]
                """);
    }

    @Test
    void shouldMaskEverySecretOfTheConfigurationWhereverItAppears() {
        final Secrets secrets = Secrets.of(config());
        final String driverMessage = "FATAL: password " + PLANTED + " rejected; url jdbc:postgresql://db/app?password="
                + java.net.URLEncoder.encode(PLANTED, java.nio.charset.StandardCharsets.UTF_8) + " and kafka-pw-77 and " + "c".repeat(20);
        final String redacted = secrets.redact(driverMessage);
        assertFalse(redacted.contains("S3cret") || redacted.contains("kafka-pw-77") || redacted.contains("c".repeat(20)), redacted);
        assertTrue(redacted.contains(Secrets.MASK));
        assertNull(secrets.redact(null));
    }

    @Test
    void shouldMaskAnythingShapedLikeAPasswordEvenWhenUnknown() {
        assertEquals("jdbc:mysql://h/db?user=a&password=***", Secrets.masked("jdbc:mysql://h/db?user=a&password=hunter2"));
        assertEquals("jdbc:postgresql://app:***@h/db", Secrets.masked("jdbc:postgresql://app:hunter2@h/db"));
        assertEquals("password=\"***\";", Secrets.masked("password=\"hunter 2\";"));
        assertEquals("No suitable driver found for jdbc:x://h/db;user=a;password=***",
                Secrets.masked("No suitable driver found for jdbc:x://h/db;user=a;password=hunter2"));
        assertEquals("nothing secret here", Secrets.masked("nothing secret here"));
    }

    /** Found in review: driver secrets whose names end in "key", and signatures, went out in clear. */
    @Test
    void shouldMaskDriverKeysAndSignaturesButNotFieldsNamedKey() {
        assertEquals("jdbc:awsathena://athena.eu-west-1.amazonaws.com:443;User=AKIA1;SecretAccessKey=***;S3OutputLocation=s3://q",
                Secrets.masked("jdbc:awsathena://athena.eu-west-1.amazonaws.com:443;User=AKIA1;SecretAccessKey=wJalrXUtnFEMI;S3OutputLocation=s3://q"));
        assertEquals("DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=***;",
                Secrets.masked("DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=bXlrZXk=;"));
        assertEquals("https://acme.blob.core.windows.net/c?sv=2022&sig=***", Secrets.masked("https://acme.blob.core.windows.net/c?sv=2022&sig=abc%2Fdef"));
        assertEquals("jdbc:snowflake://a/?user=p&private_key=***", Secrets.masked("jdbc:snowflake://a/?user=p&private_key=MIIEvQIBADAN"));
        assertEquals("client_secret=*** and sas_token=***", Secrets.masked("client_secret=s3cr3t and sas_token=tok"));
        assertEquals("primaryKey: user_id, sortKey=ts", Secrets.masked("primaryKey: user_id, sortKey=ts"));
    }

    @Test
    void shouldMaskTheTokensAndKeysOfEveryWarehouseUrlInDocsSources() {
        // The URL forms of docs/sources.md, each with the secret a user would put in it.
        final Map<String, String> urls = Map.of(
                "jdbc:snowflake://acme.snowflakecomputing.com/?user=persona&authenticator=oauth&token=sf-oauth-7781",
                "jdbc:snowflake://acme.snowflakecomputing.com/?user=persona&authenticator=oauth&token=***",
                "jdbc:snowflake://acme.snowflakecomputing.com/?user=persona&private_key_file=/keys/p8&private_key_file_pwd=pk-pass-5521",
                "jdbc:snowflake://acme.snowflakecomputing.com/?user=persona&private_key_file=/keys/p8&private_key_file_pwd=***",
                "jdbc:bigquery://https://www.googleapis.com/bigquery/v2:443;ProjectId=p1;OAuthType=2;OAuthAccessToken=ya29.bq-9912",
                "jdbc:bigquery://https://www.googleapis.com/bigquery/v2:443;ProjectId=p1;OAuthType=2;OAuthAccessToken=***",
                "jdbc:databricks://dbc.cloud.databricks.com:443/default;transportMode=http;ssl=1;AuthMech=3;UID=token;PWD=dapi-4410",
                "jdbc:databricks://dbc.cloud.databricks.com:443/default;transportMode=http;ssl=1;AuthMech=3;UID=token;PWD=***",
                "jdbc:trino://trino:8443/hive?SSL=true&accessToken=trino-jwt-3361",
                "jdbc:trino://trino:8443/hive?SSL=true&accessToken=***",
                "jdbc:oracle:thin:persona/ora-pass-8822@db:1521/ORCLPDB1",
                "jdbc:oracle:thin:persona/***@db:1521/ORCLPDB1",
                "jdbc:sqlserver://sql:1433;databaseName=crm;user=persona;password=mssql-6620;encrypt=true",
                "jdbc:sqlserver://sql:1433;databaseName=crm;user=persona;password=***;encrypt=true",
                "jdbc:redshift://rs.example.com:5439/dev?user=persona&password=rs-pass-1109",
                "jdbc:redshift://rs.example.com:5439/dev?user=persona&password=***");
        urls.forEach((url, expected) -> assertEquals(expected, Secrets.masked(url)));
        urls.keySet().forEach(url -> {
            final String secret = url.replaceAll(".*(?:token=|_pwd=|Token=|PWD=|persona/|password=)([^&;@]+).*", "$1");
            final Secrets known = Secrets.ofValues(java.util.Set.of()).and(secretsOf(url));
            assertEquals("driver says: login failed for ***", known.redact("driver says: login failed for " + secret),
                    "the value alone, as a driver may quote it, is known from the URL: " + url);
        });
    }

    private static Secrets secretsOf(final String url) {
        return Secrets.of(ConfigLoader.withEnvironment(Map.of()).parse(Path.of("w.yaml"), """
                kafka: { bootstrapServers: "k:9092" }
                collections: [ { name: people, primaryIndex: person_id } ]
                syncs:
                  - id: people
                    collection: people
                    source: { type: query, connection: "%s", sql: "select 1 as id", schedule: "every 1m" }
                    primaryKey: id
                    mapping: [ { from: id } ]
                """.formatted(url)));
    }
}
