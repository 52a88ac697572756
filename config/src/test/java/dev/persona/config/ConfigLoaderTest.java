package dev.persona.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {
    private static final Path FILE = Path.of("conf/persona.yaml");

    private static final String VALID = """
            collections:
              - name: customers
                primaryIndex: user_id
                secondaryIndices: [email]
                partitions: 3
            destinations:
              - id: demo
                collections: [customers]
            syncs:
              - id: profiles
                collection: customers
                source: { type: topic, topic: profiles-in }
                primaryKey: id
                mapping:
                  - { from: name, to: full_name }
                  - { from: email }
                  - { template: "{{ ltv | round: 2 }}", to: lifetime_value }
                onDelete: delete_record
              - id: usage
                collection: customers
                source: { type: query, connection: "jdbc:duckdb:", sql: "select 1", schedule: every 30s }
                primaryKey: user_id
                mapping: [ { from: num_messages_sent } ]
            """;

    private static PersonaConfig parse(final String yaml) {
        return ConfigLoader.withEnvironment(Map.of()).parse(FILE, yaml);
    }

    private static ConfigException rejected(final String yaml) {
        return assertThrows(ConfigException.class, () -> parse(yaml));
    }

    @Test
    void shouldReadTheWholeShape() {
        final PersonaConfig config = parse(VALID);
        final CollectionConfig customers = config.collection("customers").orElseThrow();
        assertEquals("user_id", customers.primaryIndex());
        assertEquals(List.of("email"), customers.secondaryIndices());
        assertEquals(3, customers.partitions());
        assertEquals(List.of("customers"), config.destination("demo").orElseThrow().collections());
        final SyncConfig profiles = config.sync("profiles").orElseThrow();
        assertEquals(List.of("full_name", "email", "lifetime_value"), profiles.ownedFields());
        assertEquals(OnDelete.DELETE_RECORD, profiles.onDelete());
        assertEquals(new SourceConfig.Topic("profiles-in", ValueFormat.ENVELOPE), profiles.source());
        assertEquals(OnDelete.CLEAR_FIELDS, config.sync("usage").orElseThrow().onDelete());
        assertEquals(ProcessingGuarantee.EXACTLY_ONCE_V2, config.kafka().processingGuarantee());
        assertEquals(Optional.empty(), config.kafka().bootstrapServers());
    }

    @Test
    void shouldSubstituteEnvironmentVariablesAndDefaults() {
        final String yaml = """
                kafka:
                  bootstrapServers: ${BOOTSTRAP}
                  processingGuarantee: at_least_once
                  properties:
                    security.protocol: ${PROTOCOL:-PLAINTEXT}
                    sasl.jaas.config: ${JAAS}
                """ + VALID;
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of("BOOTSTRAP", "broker:9092", "JAAS", "secret"))
                .parse(FILE, yaml);
        assertEquals(Optional.of("broker:9092"), config.kafka().bootstrapServers());
        assertEquals("PLAINTEXT", config.kafka().properties().get("security.protocol"));
        assertEquals("secret", config.kafka().properties().get("sasl.jaas.config"));
        assertEquals(ProcessingGuarantee.AT_LEAST_ONCE, config.kafka().processingGuarantee());
    }

    @Test
    void shouldTreatAnUnsetBootstrapVariableAsTheEmbeddedBroker() {
        final PersonaConfig config = parse("kafka:\n  bootstrapServers: ${NOT_SET_ANYWHERE}\n" + VALID);
        assertEquals(Optional.empty(), config.kafka().bootstrapServers());
    }

    @Test
    void shouldRejectANonAlphanumericCollectionName() {
        final ConfigException e = rejected(VALID.replace("name: customers", "name: my-customers"));
        assertEquals("collections[0].name", e.key());
        assertEquals("conf/persona.yaml: collections[0].name: collection name 'my-customers' is not alphanumeric. "
                + "Fix: use only letters and digits (it becomes part of URLs and topic names)", e.getMessage());
    }

    @Test
    void shouldRejectANonAlphanumericSyncId() {
        final ConfigException e = rejected(VALID.replace("id: usage", "id: usage_v2"));
        assertEquals("syncs[1].id", e.key());
        assertTrue(e.getMessage().contains("sync id 'usage_v2' is not alphanumeric"), e.getMessage());
    }

    @Test
    void shouldRejectTwoSyncsOwningOneField() {
        final ConfigException e = rejected(VALID.replace("{ from: num_messages_sent }", "{ from: mail, to: email }"));
        assertEquals("syncs[1].mapping[0]", e.key());
        assertEquals("conf/persona.yaml: syncs[1].mapping[0]: field 'email' of collection 'customers' is already owned by "
                + "sync 'profiles'. Fix: let one sync own 'email', or rename it with 'to:' in one of them", e.getMessage());
    }

    @Test
    void shouldRejectASyncNamingAnUnknownCollection() {
        final ConfigException e = rejected(VALID.replace("collection: customers\n    source: { type: query",
                "collection: clients\n    source: { type: query"));
        assertEquals("syncs[1].collection", e.key());
        assertEquals("unknown collection 'clients'", e.problem());
        assertEquals("use one of the declared collections: customers", e.fix());
    }

    @Test
    void shouldRejectALiquidTemplateThatNamesAnUnknownFilter() {
        final ConfigException e = rejected(VALID.replace("{{ ltv | round: 2 }}", "{{ ltv | rond: 2 }}"));
        assertEquals("syncs[0].mapping[2].template", e.key());
        assertTrue(e.problem().contains("rond"), e.problem());
    }

    @Test
    void shouldRejectAMappingWithNeitherFromNorTemplate() {
        final ConfigException e = rejected(VALID.replace("{ from: num_messages_sent }", "{ to: num_messages_sent }"));
        assertEquals("syncs[1].mapping[0]", e.key());
        assertTrue(e.getMessage().contains("has neither 'from' nor 'template'"), e.getMessage());
        assertTrue(e.fix().contains("from: <column>"), e.fix());
    }

    @Test
    void shouldRejectAnInvalidLiquidTemplateAtLoadTime() {
        final ConfigException e = rejected(VALID.replace("{{ ltv | round: 2 }}", "{{ ltv | round: 2 "));
        assertEquals("syncs[0].mapping[2].template", e.key());
        assertTrue(e.problem().startsWith("invalid Liquid template '{{ ltv | round: 2'"), e.problem());
    }

    @Test
    void shouldRejectDuplicateSyncIds() {
        final ConfigException e = rejected(VALID.replace("id: usage", "id: profiles"));
        assertEquals("syncs[1].id", e.key());
        assertEquals("duplicate sync id 'profiles'", e.problem());
    }

    @Test
    void shouldRejectDuplicateCollectionNames() {
        final ConfigException e = rejected(VALID.replace("collections:\n", """
                collections:
                  - name: customers
                    primaryIndex: id
                """));
        assertEquals("collections[1].name", e.key());
        assertEquals("duplicate collection 'customers'", e.problem());
    }

    @Test
    void shouldRejectDuplicateDestinationIds() {
        final ConfigException e = rejected(VALID.replace("destinations:\n", """
                destinations:
                  - id: demo
                    collections: [customers]
                """));
        assertEquals("destinations[1].id", e.key());
        assertEquals("duplicate destination id 'demo'", e.problem());
    }

    @Test
    void shouldRejectATopicSourceWithoutATopic() {
        final ConfigException e = rejected(VALID.replace("{ type: topic, topic: profiles-in }", "{ type: topic }"));
        assertEquals("syncs[0].source.topic", e.key());
        assertEquals("conf/persona.yaml: syncs[0].source.topic: missing. Fix: name the Kafka topic this sync reads", e.getMessage());
    }

    @Test
    void shouldReadACopartitionedTopicSource() {
        final PersonaConfig config = parse(VALID.replace("{ type: topic, topic: profiles-in }", "{ type: topic, topic: profiles-in, copartitioned: true }"));
        assertEquals(new SourceConfig.Topic("profiles-in", ValueFormat.ENVELOPE, true), config.syncs().get(0).source());
        assertEquals(new SourceConfig.Topic("profiles-in", ValueFormat.ENVELOPE, false), parse(VALID).syncs().get(0).source());
    }

    @Test
    void shouldRejectACopartitionedFlagThatIsNotABoolean() {
        final ConfigException e = rejected(VALID.replace("{ type: topic, topic: profiles-in }", "{ type: topic, topic: profiles-in, copartitioned: yes please }"));
        assertEquals("conf/persona.yaml: syncs[0].source.copartitioned: expected true or false, found 'yes please'. Fix: write true or false", e.getMessage());
    }

    @Test
    void shouldRejectASecondaryIndexThatNoSyncMaps() {
        final ConfigException e = rejected(VALID.replace("secondaryIndices: [email]", "secondaryIndices: [email, anonymous_id]"));
        assertEquals("collections[0].secondaryIndices", e.key());
        assertEquals("index 'anonymous_id' is a field that no sync maps", e.problem());
    }

    @Test
    void shouldRejectUnknownKeysWithASuggestion() {
        final ConfigException e = rejected(VALID.replace("onDelete: delete_record", "onDelet: delete_record"));
        assertEquals("syncs[0].onDelet", e.key());
        assertTrue(e.fix().startsWith("did you mean 'onDelete'?"), e.fix());
    }

    @Test
    void shouldRejectAnUnknownOnDeleteBehaviour() {
        final ConfigException e = rejected(VALID.replace("onDelete: delete_record", "onDelete: purge"));
        assertEquals("syncs[0].onDelete", e.key());
        assertEquals("'purge' is not one of ignore | clear_fields | delete_record", e.problem());
    }

    @Test
    void shouldRejectMappingThePrimaryIndex() {
        final ConfigException e = rejected(VALID.replace("{ from: num_messages_sent }", "{ from: user_id }"));
        assertEquals("syncs[1].mapping[0]", e.key());
        assertTrue(e.problem().contains("maps the primary index 'user_id'"), e.problem());
    }

    @Test
    void shouldRejectABadSchedule() {
        final ConfigException e = rejected(VALID.replace("every 30s", "sometimes"));
        assertEquals("syncs[1].source.schedule", e.key());
    }

    @Test
    void shouldRejectACronExpressionThatTheSchedulerCannotRun() {
        // Five fields of cron characters: the old pattern check let these through, and the scheduler then failed.
        for (final String cron : new String[] {"61 * * * *", "* * 32 * *", "*/0 * * * *", "1-x * * * *"}) {
            final ConfigException e = rejected(VALID.replace("every 30s", "'" + cron + "'"));
            assertEquals("syncs[1].source.schedule", e.key(), cron);
        }
        assertEquals("*/5 * * * *", ((SourceConfig.Query) parse(VALID.replace("every 30s", "'*/5 * * * *'")).syncs().get(1).source()).schedule());
    }

    @Test
    void shouldReadARunTimeoutAndDefaultItToThirtyMinutes() {
        assertEquals(java.time.Duration.ofMinutes(30), ((SourceConfig.Query) parse(VALID).syncs().get(1).source()).timeout());
        assertEquals(java.time.Duration.ofSeconds(90),
                ((SourceConfig.Query) parse(VALID.replace("schedule: every 30s", "schedule: every 30s, timeout: 90s")).syncs().get(1).source()).timeout());
        final ConfigException e = rejected(VALID.replace("schedule: every 30s", "schedule: every 30s, timeout: soon"));
        assertEquals("syncs[1].source.timeout", e.key());
    }

    @Test
    void shouldReplicateTopicsOnUpToThreeBrokersWithOneLessInSyncByDefault() {
        final KafkaSettings defaults = parse(VALID).kafka();
        assertEquals(List.of(1, 1), List.of(defaults.replicationFactorFor(1), defaults.minInsyncReplicasFor(1)));
        assertEquals(List.of(2, 1), List.of(defaults.replicationFactorFor(2), defaults.minInsyncReplicasFor(2)));
        assertEquals(List.of(3, 2), List.of(defaults.replicationFactorFor(5), defaults.minInsyncReplicasFor(5)));
        final KafkaSettings set = parse("kafka: { replicationFactor: 4, minInsyncReplicas: 3 }\n" + VALID).kafka();
        assertEquals(List.of(4, 3), List.of(set.replicationFactorFor(5), set.minInsyncReplicasFor(5)));
        assertEquals("kafka.minInsyncReplicas", rejected("kafka: { replicationFactor: 2, minInsyncReplicas: 3 }\n" + VALID).key());
        assertEquals("kafka.replicationFactor", rejected("kafka: { replicationFactor: 0 }\n" + VALID).key());
    }

    @Test
    void shouldRejectATemplateWithoutATarget() {
        final ConfigException e = rejected(VALID.replace("{ template: \"{{ ltv | round: 2 }}\", to: lifetime_value }",
                "{ template: \"{{ ltv }}\" }"));
        assertEquals("syncs[0].mapping[2].to", e.key());
    }

    @Test
    void shouldReadCaseInsensitiveIndicesAndFoldTheirValues() {
        final CollectionConfig customers = parse(VALID.replace("secondaryIndices: [email]",
                "secondaryIndices: [{ name: email, caseInsensitive: true }]")).collection("customers").orElseThrow();
        assertEquals(List.of("email"), customers.secondaryIndices());
        assertEquals("jane@example.com", customers.indexValue("email", "Jane@Example.com"));
        final CollectionConfig exact = parse(VALID).collection("customers").orElseThrow();
        assertEquals("Jane@Example.com", exact.indexValue("email", "Jane@Example.com"), "indices match exactly unless told otherwise");
    }

    @Test
    void shouldReadAWebhookAndRejectOneThatIsNotAUrl() {
        final PersonaConfig config = parse(VALID.replace("onDelete: delete_record", "onDelete: delete_record\n    webhook: https://hooks.example.com/T1/B2"));
        assertEquals(List.of(new AlertChannel.Slack("https://hooks.example.com/T1/B2")), config.sync("profiles").orElseThrow().alerts());
        final ConfigException e = rejected(VALID.replace("onDelete: delete_record", "onDelete: delete_record\n    webhook: slack-channel"));
        assertEquals("syncs[0].webhook", e.key());
    }

    @Test
    void shouldReadAlertChannelsOfEveryTypeAndNameWhatIsWrongWithOne() {
        final PersonaConfig config = parse(VALID.replace("onDelete: delete_record", """
                onDelete: delete_record
                    alerts:
                      - { type: slack, url: "https://hooks.example.com/T1/B2" }
                      - { type: pagerduty, routingKey: R0UT1NGKEY }
                      - { type: pagerduty, routingKey: EUKEY, url: "https://events.eu.pagerduty.com/v2/enqueue" }
                      - { type: webhook, url: "https://ops.example.com/persona" }"""));
        assertEquals(List.of(new AlertChannel.Slack("https://hooks.example.com/T1/B2"),
                new AlertChannel.PagerDuty("R0UT1NGKEY", AlertChannel.PAGERDUTY_EVENTS_URL),
                new AlertChannel.PagerDuty("EUKEY", "https://events.eu.pagerduty.com/v2/enqueue"),
                new AlertChannel.Webhook("https://ops.example.com/persona")), config.sync("profiles").orElseThrow().alerts());
        final ConfigException type = rejected(VALID.replace("onDelete: delete_record", "onDelete: delete_record\n    alerts: [ { type: email } ]"));
        assertEquals("syncs[0].alerts[0].type", type.key());
        assertTrue(type.getMessage().contains("slack, pagerduty or webhook"), type.getMessage());
        final ConfigException key = rejected(VALID.replace("onDelete: delete_record", "onDelete: delete_record\n    alerts: [ { type: pagerduty } ]"));
        assertEquals("syncs[0].alerts[0].routingKey", key.key());
        final ConfigException url = rejected(VALID.replace("onDelete: delete_record", "onDelete: delete_record\n    alerts: [ { type: webhook, url: ops } ]"));
        assertEquals("syncs[0].alerts[0].url", url.key());
    }

    @Test
    void shouldReadIncludeAllAndCompleteWhatItLeavesOut() {
        final PersonaConfig config = parse(VALID.replace("onDelete: delete_record", "onDelete: delete_record").replace(
                "      - { from: email }", "      - { from: email }\n      - { include: \"*\", exclude: [ssn] }"));
        final SyncConfig.IncludeAll all = config.sync("profiles").orElseThrow().includeAll().orElseThrow();
        assertEquals(Set.of("ssn"), all.exclude());
        assertTrue(all.includes("plan"));
        for (final String left : List.of("ssn", "id", "name", "full_name", "email", "user_id", "num_messages_sent")) {
            assertTrue(!all.includes(left), left + " is left out: the key, its own mappings, another sync's field or excluded");
        }
        assertTrue(config.sync("profiles").orElseThrow().mayWrite("plan"));
        assertTrue(!config.sync("profiles").orElseThrow().mayWrite("ssn"));
    }

    @Test
    void shouldRejectAnIncludeOtherThanEverythingTwoIncludesAndTwoSyncsIncludingAll() {
        final ConfigException star = rejected(VALID.replace("      - { from: email }", "      - { from: email }\n      - { include: \"a*\" }"));
        assertTrue(star.key().endsWith(".include"), star.key());
        final ConfigException twice = rejected(VALID.replace("      - { from: email }",
                "      - { from: email }\n      - { include: \"*\" }\n      - { include: \"*\" }"));
        assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
        final ConfigException two = rejected(VALID.replace("      - { from: email }", "      - { from: email }\n      - { include: \"*\" }")
                .replace("mapping: [ { from: num_messages_sent } ]",
                        "mapping: [ { from: num_messages_sent }, { include: \"*\" } ]"));
        assertTrue(two.getMessage().contains("already includes every column"), two.getMessage());
    }

    @Test
    void shouldReadARetentionInHoursDaysOrWeeksOfAnHourOrMore() {
        assertEquals(Optional.of(java.time.Duration.ofDays(90)), parse(VALID.replace("partitions: 3", "partitions: 3\n    retention: 90d"))
                .collection("customers").orElseThrow().retention());
        assertEquals(Optional.of(java.time.Duration.ofDays(14)), parse(VALID.replace("partitions: 3", "partitions: 3\n    retention: 2w"))
                .collection("customers").orElseThrow().retention());
        assertEquals(Optional.empty(), parse(VALID).collection("customers").orElseThrow().retention(), "records are kept unless told");
        for (final String bad : List.of("30m", "0h", "90 days", "forever")) {
            final ConfigException e = rejected(VALID.replace("partitions: 3", "partitions: 3\n    retention: " + bad));
            assertEquals("collections[0].retention", e.key(), bad);
        }
    }

    @Test
    void shouldNameTheFileWhenItIsMissingOrNotYaml() {
        final ConfigException missing = assertThrows(ConfigException.class,
                () -> ConfigLoader.withEnvironment(Map.of()).load(Path.of("no/such/file.yaml")));
        assertEquals("no/such/file.yaml: file not found. Fix: pass the path of an existing file with --config", missing.getMessage());
        final ConfigException broken = rejected("collections: [ { name: a\n");
        assertTrue(broken.getMessage().startsWith("conf/persona.yaml: not valid YAML at line"), broken.getMessage());
    }

    @Test
    void shouldLoadTheShippedExampleFiles() {
        final ConfigLoader loader = ConfigLoader.withEnvironment(Map.of());
        final PersonaConfig example = loader.load(Path.of("persona.example.yaml"));
        assertEquals(3, example.syncsOf("customers").size());
        assertEquals(new SourceConfig.Topic("clickstream-traits", ValueFormat.ROW), example.sync("clickstream").orElseThrow().source());
        final PersonaConfig topics = loader.load(Path.of("topics.example.yaml"));
        assertEquals(ValueType.STRING, topics.sync("billing").orElseThrow().mapping().get(2).type());
        final PersonaConfig compose = ConfigLoader.withEnvironment(Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092", "PG_PASSWORD", "pw"))
                .load(Path.of("..", "docker", "persona.yaml"));
        assertEquals(Optional.of("kafka:9092"), compose.kafka().bootstrapServers());
        assertEquals(new SourceConfig.Cdc("jdbc:postgresql://postgres:5432/app?user=postgres&password=pw", "public.profiles"),
                compose.sync("profiles").orElseThrow().source());
    }

    @Test
    void shouldReadANestedSyncAndRejectWhatANestCannotDo() {
        final String nested = VALID.replace("    source: { type: topic, topic: profiles-in }\n    primaryKey: id\n",
                "    source: { type: topic, topic: orders-in }\n    primaryKey: order_id\n"
                        + "    nest: { into: orders, parentKey: customer_id, orderBy: created_at desc, limit: 20 }\n")
                .replace("    onDelete: delete_record\n", "").replace("secondaryIndices: [email]", "secondaryIndices: []");
        assertTrue(nested.contains("nest:"), nested);
        final SyncConfig orders = parse(nested).sync("profiles").orElseThrow();
        assertEquals(Optional.of(new SyncConfig.Nest("orders", "customer_id", Optional.of("created_at"), true, 20)), orders.nest());
        assertEquals(List.of("orders"), orders.ownedFields(), "a nested sync owns its array alone");
        assertEquals("syncs[0].nest.limit", rejected(nested.replace("limit: 20", "limit: 5000")).key());
        assertEquals("syncs[0].nest.orderBy", rejected(nested.replace("created_at desc", "created_at sideways")).key());
        assertEquals("syncs[0].onDelete", rejected(nested.replace("nest: {", "onDelete: delete_record\n    nest: {")).key());
    }

    /** It used to be accepted, then logged a stack trace at start while the instance reported ready (issue 21). */
    @Test
    void shouldRejectACdcSourceItCannotCaptureNamingTheSchemeAndNeverThePassword() {
        final ConfigException e = rejected(VALID.replace("source: { type: topic, topic: profiles-in }",
                "source: { type: cdc, connection: \"jdbc:sqlserver://db:1433;databaseName=shop;user=persona;password=planted-Secret-9\", table: dbo.users }"));
        assertEquals("syncs[0].source.connection", e.key());
        assertTrue(e.getMessage().contains("'jdbc:sqlserver'") && e.getMessage().contains("MariaDB (jdbc:mariadb://)")
                && e.getMessage().contains("query sync"), e.getMessage());
        assertTrue(!e.getMessage().contains("planted-Secret-9"), e.getMessage());
        final SourceConfig maria = parse(VALID.replace(
                "source: { type: topic, topic: profiles-in }", "source: { type: cdc, connection: \"jdbc:mariadb://db/shop?user=u\", table: shop.users }"))
                .syncs().get(0).source();
        assertTrue(((SourceConfig.Cdc) maria).readsBinaryLog(), "MariaDB is read from its binary log, as MySQL is");
    }

    /** It passed validation, then start-up died with Kafka Streams' TopologyException stack trace. */
    @Test
    void shouldRejectACollectionThatNoSyncFeeds() {
        final ConfigException e = rejected(VALID.replace("collections:\n", "collections:\n  - { name: orphans, primaryIndex: id }\n"));
        assertEquals("collections[0]", e.key());
        assertTrue(e.getMessage().contains("'orphans' has no sync feeding it") && e.getMessage().contains("collection: orphans"), e.getMessage());
    }

    @Test
    void shouldReadTheHttpSection() throws java.io.IOException {
        final java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("persona-config-tls");
        java.nio.file.Files.writeString(dir.resolve("tls.crt"), "x");
        java.nio.file.Files.writeString(dir.resolve("tls.key"), "x");
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of("SECRET", "s".repeat(32))).parse(dir.resolve("persona.yaml"), VALID + """
                http:
                  rateLimit: 500/s
                  tls: { certificate: tls.crt, privateKey: tls.key }
                  managementPort: 9090
                  metricsRequireKey: true
                  clusterSecret: ${SECRET}
                """);
        assertEquals("500/s", config.http().rateLimit().orElseThrow().toString());
        assertEquals(dir.resolve("tls.crt"), config.http().tls().orElseThrow().certificate(), "relative to the file's directory");
        assertEquals(dir.resolve("tls.crt"), config.http().tls().orElseThrow().trustedCertificates());
        assertEquals(9090, config.http().managementPort().orElseThrow());
        assertTrue(config.http().metricsRequireKey());
        assertEquals("s".repeat(32), config.http().clusterSecret().orElseThrow());
    }

    @Test
    void shouldNameTheKeyAndFixOfABadHttpSetting() {
        assertEquals("http.rateLimit", rejected(VALID + "http: { rateLimit: fast }\n").key());
        assertEquals("http.managementPort", rejected(VALID + "http: { managementPort: 70000 }\n").key());
        assertEquals("http.clusterSecret", rejected(VALID + "http: { clusterSecret: short }\n").key());
        final ConfigException missing = rejected(VALID + "http: { tls: { certificate: /nonexistent/tls.crt, privateKey: /nonexistent/tls.key } }\n");
        assertEquals("http.tls.certificate", missing.key());
        assertTrue(missing.getMessage().contains("cannot read /nonexistent/tls.crt"), missing.getMessage());
        assertEquals("syncs[0].alertReminder", rejected(VALID.replace("onDelete: delete_record", "onDelete: delete_record\n    alertReminder: 5s")).key());
        assertEquals("http.maxConnectionsPerAddress", rejected(VALID + "http: { maxConnectionsPerAddress: -1 }\n").key());
        assertEquals("http.maxKeyStaleness", rejected(VALID + "http: { maxKeyStaleness: soon }\n").key());
        assertEquals("http.moveWait", rejected(VALID + "http: { moveWait: a while }\n").key());
        assertEquals("http.moveWait", rejected(VALID + "http: { moveWait: 5m }\n").key());
    }

    @Test
    void shouldReadHowLongALookupWaitsForAMovingPartition() {
        assertEquals(java.time.Duration.ofSeconds(1), parse(VALID).http().moveWait());
        assertEquals(java.time.Duration.ofMillis(250), parse(VALID + "http: { moveWait: 250ms }\n").http().moveWait());
        assertEquals(java.time.Duration.ofSeconds(3), parse(VALID + "http: { moveWait: 3s }\n").http().moveWait());
        assertEquals(java.time.Duration.ZERO, parse(VALID + "http: { moveWait: 0 }\n").http().moveWait());
    }

    @Test
    void shouldDefaultToAKeyForMetricsOnTheApiPortAndNoneOnAManagementPort() {
        assertTrue(parse(VALID).http().metricsRequireKey(), "on the API port, /metrics names every topic and store");
        assertFalse(parse(VALID + "http: { managementPort: 9090 }\n").http().metricsRequireKey());
        assertTrue(parse(VALID + "http: { managementPort: 9090, metricsRequireKey: true }\n").http().metricsRequireKey());
        assertFalse(parse(VALID + "http: { metricsRequireKey: false }\n").http().metricsRequireKey());
        assertEquals(java.time.Duration.ofMinutes(5), parse(VALID).http().maxKeyStaleness());
        assertEquals(512, parse(VALID).http().maxConnectionsPerAddress());
    }

    @Test
    void shouldReadTheErasureWindowAndWhereLookupsReadFrom() {
        assertEquals(java.time.Duration.ofHours(24), parse(VALID).kafka().erasureWindow());
        assertEquals(ReadFrom.OWNER, parse(VALID).kafka().readFrom());
        final PersonaConfig set = parse("kafka:\n  erasureWindow: 90m\n  readFrom: nearest\n" + VALID);
        assertEquals(java.time.Duration.ofMinutes(90), set.kafka().erasureWindow());
        assertEquals(ReadFrom.NEAREST, set.kafka().readFrom());
        assertEquals("kafka.erasureWindow", rejected("kafka:\n  erasureWindow: 5s\n" + VALID).key());
        assertEquals("kafka.readFrom", rejected("kafka:\n  readFrom: anywhere\n" + VALID).key());
    }

    /** What a CDC source captures: the key and every column a mapping or template reads; all of them under include. */
    @Test
    void shouldNameTheColumnsASyncReads() {
        final SyncConfig profiles = parse(VALID).syncs().get(0);
        assertTrue(profiles.columnsRead().orElseThrow().containsAll(Set.of("id", "name", "email", "ltv")), profiles.columnsRead().toString());
        assertTrue(!profiles.columnsRead().orElseThrow().contains("full_name"), "a field's name is no column");
    }
}
