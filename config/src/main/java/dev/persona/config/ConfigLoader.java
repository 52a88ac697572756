package dev.persona.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a Persona YAML file into a validated {@link PersonaConfig}. Every problem is a
 * {@link ConfigException} naming the file, the key and the fix; nothing half-valid is returned.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final Map<String, String> environment;

    private ConfigLoader(final Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /** A loader resolving {@code ${VAR}} from the process environment. */
    public static ConfigLoader fromSystemEnvironment() {
        return new ConfigLoader(System.getenv());
    }

    /** A loader resolving {@code ${VAR}} from the given map (tests, embedded callers). */
    public static ConfigLoader withEnvironment(final Map<String, String> environment) {
        return new ConfigLoader(environment);
    }

    /**
     * Reads and validates one file.
     *
     * @throws ConfigException when the file is missing, is not YAML, or breaks a rule
     */
    public PersonaConfig load(final Path file) {
        final String text;
        try {
            text = Files.readString(file);
        } catch (final NoSuchFileException e) {
            throw new ConfigException(file.toString(), "", "file not found", "pass the path of an existing file with --config");
        } catch (final IOException e) {
            throw new ConfigException(file.toString(), "", "cannot read the file (" + e.getMessage() + ")", "check its permissions");
        }
        return parse(file, text);
    }

    /**
     * Parses and validates YAML text, reporting errors against {@code file}.
     *
     * @throws ConfigException when the text is not YAML or breaks a rule
     */
    public PersonaConfig parse(final Path file, final String yaml) {
        final String name = file.toString();
        final JsonNode tree;
        try {
            tree = YAML.readTree(yaml);
        } catch (final JsonProcessingException e) {
            final String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
            throw new ConfigException(name, "", "not valid YAML" + where + ": " + e.getOriginalMessage(), "correct the YAML syntax");
        }
        final ConfigNode root = new ConfigNode(tree, "", name, new EnvironmentSubstitution(environment));
        if (!root.isObject()) {
            throw root.error("the file is empty or not a mapping", "start from config/persona.example.yaml");
        }
        root.allowOnly(Set.of("kafka", "collections", "destinations", "syncs", "http", "drivers"));
        final List<CollectionConfig> collections = collections(root);
        final Path base = file.toAbsolutePath().getParent();
        final Optional<Path> drivers = root.optionalString("drivers").map(d -> base == null ? Path.of(d) : base.resolve(d));
        final PersonaConfig config = new PersonaConfig(file, kafka(root.get("kafka")), collections,
                destinations(root), withInclusions(syncs(root), collections), http(root.get("http"), file), drivers);
        new ConfigValidator(name).validate(config);
        return config;
    }

    private static KafkaSettings kafka(final ConfigNode node) {
        if (node.isMissing()) {
            return KafkaSettings.defaults();
        }
        node.allowOnly(Set.of("bootstrapServers", "applicationId", "topicPrefix", "processingGuarantee", "properties",
                "standbyReplicas", "maxStaleLag", "rocksdbMemoryMb", "replicationFactor", "minInsyncReplicas", "maxRecordBytes", "erasureWindow",
                "readFrom"));
        final int rocksdbMemoryMb = node.optionalInt("rocksdbMemoryMb", KafkaSettings.DEFAULT_ROCKSDB_MEMORY_MB);
        if (rocksdbMemoryMb < 16) {
            throw node.error("rocksdbMemoryMb", "must be at least 16, found " + rocksdbMemoryMb, "give the memory all stores share, in MiB, such as 256");
        }
        final int standbys = node.optionalInt("standbyReplicas", KafkaSettings.DEFAULT_STANDBY_REPLICAS);
        if (standbys < 0) {
            throw node.error("standbyReplicas", "must be 0 or more, found " + standbys, "set 0 for none, 1 to survive one lost instance");
        }
        final int maxStaleLag = node.optionalInt("maxStaleLag", (int) KafkaSettings.DEFAULT_MAX_STALE_LAG);
        if (maxStaleLag < 0) {
            throw node.error("maxStaleLag", "must be 0 or more, found " + maxStaleLag, "give the largest offset lag a standby may answer with");
        }
        final Optional<Integer> replicationFactor = node.optionalString("replicationFactor").map(t -> node.optionalInt("replicationFactor", 0));
        if (replicationFactor.isPresent() && replicationFactor.get() < 1) {
            throw node.error("replicationFactor", "must be at least 1, found " + replicationFactor.get(),
                    "leave it out for min(3, brokers), or give the replicas each topic should have");
        }
        final Optional<Integer> minInsync = node.optionalString("minInsyncReplicas").map(t -> node.optionalInt("minInsyncReplicas", 0));
        if (minInsync.isPresent() && (minInsync.get() < 1 || replicationFactor.isPresent() && minInsync.get() > replicationFactor.get())) {
            throw node.error("minInsyncReplicas", "must be between 1 and the replication factor, found " + minInsync.get(),
                    "leave it out for one less than the replication factor");
        }
        final int maxRecordBytes = node.optionalInt("maxRecordBytes", KafkaSettings.DEFAULT_MAX_RECORD_BYTES);
        if (maxRecordBytes < 1024) {
            throw node.error("maxRecordBytes", "must be at least 1024, found " + maxRecordBytes,
                    "give the largest record in bytes, below the producer's max.request.size (1048576 by default)");
        }
        final Optional<String> windowText = node.optionalString("erasureWindow");
        final Duration erasureWindow = windowText.map(text -> Schedules.duration(text)
                .filter(d -> d.compareTo(KafkaSettings.MIN_ERASURE_WINDOW) >= 0)
                .orElseThrow(() -> node.error("erasureWindow", "'" + text + "' is not a duration of " + KafkaSettings.MIN_ERASURE_WINDOW.toSeconds()
                        + " s or more", "write how long a purged person's rows may stay in Kafka, such as 24h (the default) or 90m")))
                .orElse(KafkaSettings.DEFAULT_ERASURE_WINDOW);
        final String applicationId = node.optionalString("applicationId").orElse(KafkaSettings.DEFAULT_APPLICATION_ID);
        final String topicPrefix = node.optionalString("topicPrefix").orElse(KafkaSettings.DEFAULT_TOPIC_PREFIX);
        if (!applicationId.matches("[A-Za-z0-9._-]+")) {
            throw node.error("applicationId", "'" + applicationId + "' may only hold letters, digits, '.', '_' and '-'", "rename it");
        }
        if (!topicPrefix.matches("[A-Za-z0-9._-]+")) {
            throw node.error("topicPrefix", "'" + topicPrefix + "' may only hold letters, digits, '.', '_' and '-'", "rename it");
        }
        return new KafkaSettings(node.optionalString("bootstrapServers"), applicationId, topicPrefix,
                node.optionalEnum("processingGuarantee", ProcessingGuarantee.EXACTLY_ONCE_V2, ProcessingGuarantee::configName),
                node.stringMap("properties"), standbys, maxStaleLag, rocksdbMemoryMb, replicationFactor, minInsync, maxRecordBytes, erasureWindow,
                node.optionalEnum("readFrom", ReadFrom.OWNER, ReadFrom::configName));
    }

    private static HttpSettings http(final ConfigNode node, final Path file) {
        if (node.isMissing()) {
            return HttpSettings.defaults();
        }
        node.allowOnly(Set.of("rateLimit", "tls", "managementPort", "metricsRequireKey", "clusterSecret", "maxConnectionsPerAddress",
                "maxKeyStaleness", "moveWait"));
        final Optional<RateLimit> rate = node.optionalString("rateLimit").map(spec -> {
            try {
                return RateLimit.parse(spec);
            } catch (final IllegalArgumentException e) {
                throw node.error("rateLimit", e.getMessage(), "write requests per period, as 500/s, or leave it out for no default limit");
            }
        });
        final Optional<Integer> managementPort = node.optionalString("managementPort").map(t -> node.optionalInt("managementPort", 0));
        if (managementPort.isPresent() && (managementPort.get() < 1 || managementPort.get() > 65535)) {
            throw node.error("managementPort", "must be a port between 1 and 65535, found " + managementPort.get(),
                    "give the port for /metrics, /healthz, /readyz and /admin, such as 9090, or leave it out");
        }
        final Optional<String> secret = node.optionalString("clusterSecret");
        if (secret.isPresent() && secret.get().length() < 16) {
            throw node.error("clusterSecret", "is " + secret.get().length() + " characters; a cluster secret needs at least 16",
                    "set it from the environment to a long random value: clusterSecret: ${PERSONA_CLUSTER_SECRET}");
        }
        final int perAddress = node.optionalInt("maxConnectionsPerAddress", HttpSettings.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS);
        if (perAddress < 0) {
            throw node.error("maxConnectionsPerAddress", "must be 0 (no limit) or more, found " + perAddress,
                    "give the connections one client address may hold open, such as " + HttpSettings.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS);
        }
        final Optional<Boolean> metricsKey = node.optionalString("metricsRequireKey").map(t -> node.optionalBoolean("metricsRequireKey", true));
        final Optional<String> stalenessText = node.optionalString("maxKeyStaleness");
        final Duration staleness = stalenessText.map(text -> Schedules.duration(text).filter(d -> !d.isZero())
                .orElseThrow(() -> node.error("maxKeyStaleness", "'" + text + "' is not a duration", "write how long an instance cut off from "
                        + "Kafka keeps accepting keys, such as 30s or 5m (the default)")))
                .orElse(HttpSettings.DEFAULT_MAX_KEY_STALENESS);
        final Duration moveWait = node.optionalString("moveWait").map(text -> millisOrDuration(text)
                .orElseThrow(() -> node.error("moveWait", "'" + text + "' is not a duration", "write how long a lookup of a partition that "
                        + "moves between instances waits before it answers 503, such as 500ms, 1s (the default), or 0 to answer at once")))
                .orElse(HttpSettings.DEFAULT_MOVE_WAIT);
        if (moveWait.compareTo(Duration.ofSeconds(30)) > 0) {
            throw node.error("moveWait", "is " + moveWait.toSeconds() + " s; a lookup waits at most 30 s",
                    "give a wait shorter than your clients' timeout, such as 1s (the default)");
        }
        return new HttpSettings(rate, tls(node.get("tls"), file), managementPort, metricsKey, secret, perAddress, staleness, moveWait);
    }

    /** {@code 0}, {@code 250ms}, or a duration as schedules write it ({@code 1s}, {@code 2m}). */
    private static Optional<Duration> millisOrDuration(final String text) {
        final String trimmed = text.strip();
        if (trimmed.equals("0")) {
            return Optional.of(Duration.ZERO);
        }
        if (trimmed.matches("\\d{1,9}ms")) {
            return Optional.of(Duration.ofMillis(Long.parseLong(trimmed.substring(0, trimmed.length() - 2))));
        }
        return Schedules.duration(trimmed);
    }

    private static Optional<TlsSettings> tls(final ConfigNode node, final Path file) {
        if (node.isMissing()) {
            return Optional.empty();
        }
        node.allowOnly(Set.of("certificate", "privateKey", "trust"));
        final Path certificate = pemFile(node, "certificate", file, "give the PEM file of the server's certificate chain");
        final Path key = pemFile(node, "privateKey", file, "give the PEM file of the certificate's private key");
        final Optional<Path> trust = node.optionalString("trust").isPresent()
                ? Optional.of(pemFile(node, "trust", file, "give the PEM file of the CA certificates instances trust, or leave it out"))
                : Optional.empty();
        return Optional.of(new TlsSettings(certificate, key, trust));
    }

    /** A file named relative to the configuration file's directory, which must be readable now. */
    private static Path pemFile(final ConfigNode node, final String key, final Path file, final String fix) {
        final Path given = Path.of(node.requiredString(key, fix));
        final Path dir = file.toAbsolutePath().getParent();
        final Path resolved = given.isAbsolute() || dir == null ? given : dir.resolve(given);
        if (!java.nio.file.Files.isReadable(resolved)) {
            throw node.error(key, "cannot read " + resolved, fix);
        }
        return resolved;
    }

    private static List<CollectionConfig> collections(final ConfigNode root) {
        final List<CollectionConfig> collections = new ArrayList<>();
        for (final ConfigNode node : root.list("collections")) {
            node.allowOnly(Set.of("name", "primaryIndex", "secondaryIndices", "partitions", "maxIndexClaims", "retention"));
            final Optional<String> retentionText = node.optionalString("retention");
            final Optional<Duration> retention = retentionText.map(text -> Schedules.retention(text)
                    .orElseThrow(() -> node.error("retention", "'" + text + "' is not a duration of an hour or more",
                            "write how long a record may go without an update before it expires, such as 90d, 12h or 2w")));
            final int maxIndexClaims = node.optionalInt("maxIndexClaims", CollectionConfig.DEFAULT_MAX_INDEX_CLAIMS);
            if (maxIndexClaims < 1) {
                throw node.error("maxIndexClaims", "must be at least 1, found " + maxIndexClaims,
                        "give how many records one index value may remember, such as " + CollectionConfig.DEFAULT_MAX_INDEX_CLAIMS);
            }
            final int partitions = node.optionalInt("partitions", 6);
            if (partitions < 1) {
                throw node.error("partitions", "must be at least 1, found " + partitions, "set partitions to 1 or more");
            }
            final List<String> indices = new ArrayList<>();
            final java.util.Set<String> caseInsensitive = new java.util.HashSet<>();
            for (final ConfigNode index : node.list("secondaryIndices")) {
                if (index.isObject()) {
                    index.allowOnly(Set.of("name", "caseInsensitive"));
                    final String name = index.requiredString("name", "name the field to index");
                    indices.add(name);
                    final String folded = index.optionalString("caseInsensitive").orElse("false");
                    if (!folded.equals("true") && !folded.equals("false")) {
                        throw index.error("caseInsensitive", "must be true or false, found '" + folded + "'", "write true or false");
                    }
                    if (folded.equals("true")) {
                        caseInsensitive.add(name);
                    }
                } else {
                    indices.add(index.scalar("write a field name, or { name: <field>, caseInsensitive: true }"));
                }
            }
            collections.add(new CollectionConfig(
                    node.requiredString("name", "give the collection an alphanumeric name, such as 'customers'"),
                    node.requiredString("primaryIndex", "name the field that identifies a record, such as 'user_id'"),
                    indices, partitions, caseInsensitive, maxIndexClaims, retention));
        }
        return collections;
    }

    private static List<DestinationConfig> destinations(final ConfigNode root) {
        final List<DestinationConfig> destinations = new ArrayList<>();
        for (final ConfigNode node : root.list("destinations")) {
            node.allowOnly(Set.of("id", "collections"));
            destinations.add(new DestinationConfig(
                    node.requiredString("id", "give the destination the id clients send as destinationId"),
                    node.stringList("collections")));
        }
        return destinations;
    }

    private static List<SyncConfig> syncs(final ConfigNode root) {
        final List<SyncConfig> syncs = new ArrayList<>();
        for (final ConfigNode node : root.list("syncs")) {
            node.allowOnly(Set.of("id", "collection", "source", "primaryKey", "mapping", "onDelete", "webhook", "alerts", "alertReminder", "nest"));
            final Optional<String> reminderText = node.optionalString("alertReminder");
            final Duration reminder = reminderText.isEmpty() ? SyncConfig.DEFAULT_ALERT_REMINDER
                    : Schedules.duration(reminderText.get()).filter(d -> d.toMinutes() >= 1).orElseThrow(() -> node.error("alertReminder",
                    "'" + reminderText.get() + "' is not a duration of a minute or more", "write how often a sync that keeps failing is reported again, such as 1h or 30m"));
            final List<AlertChannel> alerts = new ArrayList<>();
            final Optional<String> webhook = node.optionalString("webhook");
            if (webhook.isPresent()) {
                alerts.add(new AlertChannel.Slack(url(node, "webhook", webhook.get(), "give the full URL of a Slack-compatible incoming webhook")));
            }
            for (final ConfigNode channel : node.list("alerts")) {
                alerts.add(alertChannel(channel));
            }
            final List<FieldMapping> mapping = new ArrayList<>();
            Optional<Set<String>> exclude = Optional.empty();
            for (final ConfigNode item : node.list("mapping")) {
                if (item.isObject() && !item.get("include").isMissing()) {
                    if (exclude.isPresent()) {
                        throw item.error("include", "appears twice in this mapping", "keep one '- include: \"*\"' (with exclude: [...])");
                    }
                    exclude = Optional.of(inclusion(item));
                } else {
                    mapping.add(mapping(item));
                }
            }
            syncs.add(new SyncConfig(
                    node.requiredString("id", "give the sync an alphanumeric id, such as 'profiles'"),
                    node.requiredString("collection", "name the collection this sync feeds"),
                    source(node.get("source")),
                    node.requiredString("primaryKey", "name the source column that holds the record key"),
                    mapping,
                    node.optionalEnum("onDelete", OnDelete.CLEAR_FIELDS, OnDelete::configName),
                    alerts, reminder, exclude.map(e -> new SyncConfig.IncludeAll(e, e)), nest(node, exclude.isPresent())));
        }
        return syncs;
    }

    private static final java.util.regex.Pattern FIELD_NAME = java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** {@code nest: { into, parentKey, orderBy: "column [asc|desc]", limit }}, if the sync has one. */
    private static Optional<SyncConfig.Nest> nest(final ConfigNode sync, final boolean includesAll) {
        final ConfigNode node = sync.get("nest");
        if (node.isMissing()) {
            return Optional.empty();
        }
        node.allowOnly(Set.of("into", "parentKey", "orderBy", "limit"));
        final String into = node.requiredString("into", "name the parent's array field, such as into: orders");
        if (!FIELD_NAME.matcher(into).matches()) {
            throw node.error("into", "'" + into + "' is not a field name", "use letters, digits and underscores, such as orders");
        }
        final String parentKey = node.requiredString("parentKey", "name the row column holding the parent's primary index value, such as customer_id");
        final Optional<String> orderText = node.optionalString("orderBy");
        boolean descending = false;
        Optional<String> orderBy = Optional.empty();
        if (orderText.isPresent()) {
            final String[] parts = orderText.get().trim().split("\\s+");
            if (parts.length > 2 || parts.length == 2 && !parts[1].equalsIgnoreCase("asc") && !parts[1].equalsIgnoreCase("desc")) {
                throw node.error("orderBy", "'" + orderText.get() + "' is not 'column [asc|desc]'", "write, for example, orderBy: created_at desc");
            }
            orderBy = Optional.of(parts[0]);
            descending = parts.length == 2 && parts[1].equalsIgnoreCase("desc");
        }
        final int limit = node.optionalInt("limit", SyncConfig.Nest.DEFAULT_LIMIT);
        if (limit < 1 || limit > SyncConfig.Nest.MAX_LIMIT) {
            throw node.error("limit", "must be between 1 and " + SyncConfig.Nest.MAX_LIMIT + ", found " + limit,
                    "give the most elements the array shows, such as 50; the parent record carries all of them with every change");
        }
        if (includesAll) {
            throw node.error("into", "a nested sync cannot also copy every column (include: \"*\")", "map the columns each element carries");
        }
        if (!sync.get("onDelete").isMissing() && !"clear_fields".equals(sync.optionalString("onDelete").orElse(""))) {
            throw sync.error("onDelete", "a nested sync's delete removes the row's element from its parent's array; it cannot be "
                    + sync.optionalString("onDelete").orElse(""), "leave onDelete out (or write clear_fields)");
        }
        return Optional.of(new SyncConfig.Nest(into, parentKey, orderBy, descending, limit));
    }

    /** {@code - include: "*"}, with an optional {@code exclude: [columns]}: the excluded columns. */
    private static Set<String> inclusion(final ConfigNode item) {
        item.allowOnly(Set.of("include", "exclude"));
        final String include = item.requiredString("include", "write include: \"*\" to copy every column");
        if (!include.equals("*")) {
            throw item.error("include", "is '" + include + "'; only \"*\" (every column) is supported",
                    "write include: \"*\", leave columns out with exclude: [a, b], and map single columns with from:");
        }
        return Set.copyOf(item.stringList("exclude"));
    }

    /**
     * Completes each {@code include: "*"} with what it must leave out besides its {@code exclude}: the primary key
     * column and the collection's primary index, the columns the sync's own mappings read or write, and the fields
     * other syncs of the collection own.
     */
    static List<SyncConfig> withInclusions(final List<SyncConfig> syncs, final List<CollectionConfig> collections) {
        final List<SyncConfig> completed = new ArrayList<>();
        for (final SyncConfig sync : syncs) {
            if (sync.includeAll().isEmpty()) {
                completed.add(sync);
                continue;
            }
            final Set<String> skipped = new java.util.HashSet<>(sync.includeAll().get().exclude());
            skipped.add(sync.primaryKey());
            collections.stream().filter(c -> c.name().equals(sync.collection())).forEach(c -> skipped.add(c.primaryIndex()));
            sync.mapping().forEach(m -> {
                m.from().ifPresent(skipped::add);
                skipped.add(m.to());
            });
            syncs.stream().filter(other -> other != sync && other.collection().equals(sync.collection()))
                    .forEach(other -> skipped.addAll(other.ownedFields()));
            completed.add(new SyncConfig(sync.id(), sync.collection(), sync.source(), sync.primaryKey(), sync.mapping(), sync.onDelete(),
                    sync.alerts(), sync.alertReminder(), Optional.of(new SyncConfig.IncludeAll(sync.includeAll().get().exclude(), skipped)),
                    sync.nest()));
        }
        return completed;
    }

    private static AlertChannel alertChannel(final ConfigNode channel) {
        final String type = channel.requiredString("type", "say which channel: slack, pagerduty or webhook");
        switch (type) {
            case "slack" -> {
                channel.allowOnly(Set.of("type", "url"));
                return new AlertChannel.Slack(url(channel, "url", channel.requiredString("url", "give the incoming webhook's URL"),
                        "give the full URL of a Slack-compatible incoming webhook"));
            }
            case "webhook" -> {
                channel.allowOnly(Set.of("type", "url"));
                return new AlertChannel.Webhook(url(channel, "url", channel.requiredString("url", "give the URL that receives the JSON events"),
                        "give the full URL that receives the JSON events"));
            }
            case "pagerduty" -> {
                channel.allowOnly(Set.of("type", "routingKey", "url"));
                final String key = channel.requiredString("routingKey",
                        "give the integration key of a PagerDuty service (Events API v2), from the environment: routingKey: ${PD_ROUTING_KEY}");
                final String url = channel.optionalString("url").map(u -> url(channel, "url", u, "give the Events API v2 endpoint's URL"))
                        .orElse(AlertChannel.PAGERDUTY_EVENTS_URL);
                return new AlertChannel.PagerDuty(key, url);
            }
            default -> throw channel.error("type", "'" + type + "' is not an alert channel", "use slack, pagerduty or webhook");
        }
    }

    private static String url(final ConfigNode node, final String key, final String url, final String fix) {
        if (!url.matches("https?://\\S+")) {
            throw node.error(key, "'" + url + "' is not an http(s) URL", fix);
        }
        return url;
    }

    private static FieldMapping mapping(final ConfigNode item) {
        item.allowOnly(Set.of("from", "to", "template", "type"));
        final Optional<String> from = item.optionalString("from");
        final Optional<String> template = item.optionalString("template");
        if (from.isEmpty() && template.isEmpty()) {
            throw item.error("has neither 'from' nor 'template'", "add 'from: <column>' to copy a column, or 'template: \"{{ ... }}\"' with 'to: <field>'");
        }
        final Optional<String> to = item.optionalString("to");
        if (template.isPresent() && to.isEmpty()) {
            throw item.error("to", "missing: a template needs a field to store its output in", "add 'to: <field>'");
        }
        final ValueType type = item.optionalEnum("type", ValueType.AUTO, ValueType::configName);
        if (template.isPresent()) {
            LiquidTemplates.compile(template.get(), item);
        }
        return new FieldMapping(template.isPresent() ? Optional.empty() : from, template,
                to.orElseGet(from::get), type);
    }

    private static SourceConfig source(final ConfigNode node) {
        if (node.isMissing()) {
            throw node.error("missing", "add 'source: { type: cdc | query | topic, ... }'");
        }
        final String type = node.requiredString("type", "set 'type' to cdc, query or topic");
        switch (type) {
            case "cdc" -> {
                node.allowOnly(Set.of("type", "connection", "table"));
                final String connection = node.requiredString("connection",
                        "give the JDBC URL of the database, such as jdbc:postgresql://host:5432/db?user=u");
                if (!SourceConfig.Cdc.captures(connection)) {
                    // Named by its scheme alone: the URL may hold a password.
                    throw node.error("connection", "CDC cannot capture a '" + SourceConfig.scheme(connection) + "' database: it captures "
                            + "PostgreSQL (jdbc:postgresql://), MySQL (jdbc:mysql://) and MariaDB (jdbc:mariadb://)", "read this database with a "
                            + "query sync (type: query, with a SQL model and a schedule) and its JDBC driver");
                }
                return new SourceConfig.Cdc(connection, node.requiredString("table", "name the captured table as schema.table"));
            }
            case "query" -> {
                node.allowOnly(Set.of("type", "connection", "sql", "schedule", "timeout"));
                final String schedule = node.requiredString("schedule", "write 'every 30s' or a cron expression");
                if (!Schedules.isValid(schedule)) {
                    throw node.error("schedule", "'" + schedule + "' is neither 'every <n>s|m|h' nor a 5-field cron expression",
                            "write 'every 30s', 'every 5m' or a cron expression such as '*/5 * * * *'");
                }
                final Optional<String> timeoutText = node.optionalString("timeout");
                final Duration timeout = timeoutText.isEmpty() ? SourceConfig.Query.DEFAULT_TIMEOUT
                        : Schedules.duration(timeoutText.get()).filter(d -> !d.isZero()).orElseThrow(() -> node.error("timeout",
                        "'" + timeoutText.get() + "' is not a duration", "write how long a run may take, such as 30m, 90s or 2h"));
                return new SourceConfig.Query(
                        node.requiredString("connection", "give the JDBC URL of the warehouse"),
                        node.requiredString("sql", "write the SQL model"),
                        schedule, timeout);
            }
            case "topic" -> {
                node.allowOnly(Set.of("type", "topic", "format", "copartitioned"));
                return new SourceConfig.Topic(
                        node.requiredString("topic", "name the Kafka topic this sync reads"),
                        node.optionalEnum("format", ValueFormat.ENVELOPE, ValueFormat::configName),
                        node.optionalBoolean("copartitioned", false));
            }
            default -> throw node.error("type", "'" + type + "' is not a source type", "use cdc, query or topic");
        }
    }
}
