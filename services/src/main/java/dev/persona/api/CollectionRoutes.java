package dev.persona.api;

import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.config.SyncConfig;
import dev.persona.kafka.TopicTail;
import dev.persona.topology.DeadLetterHeaders;
import dev.persona.topology.KeyPartitions;
import dev.persona.topology.Purges;
import dev.persona.topology.StoredRecord;
import dev.persona.topology.TopicNames;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Admin views of collections for operators and the console: {@code GET /admin/collections} (indices, partitions,
 * syncs), {@code GET /admin/collections/{c}/dead-letters} (the newest dead letters, with reason, sync, key and a
 * payload preview) and {@code GET /admin/collections/{c}/records/{id}/history} (the record's revisions as far as its
 * changelog still holds them; a compacted changelog keeps the newest).
 */
final class CollectionRoutes {
    static final int DEAD_LETTERS_SHOWN = 100;
    static final int PREVIEW_BYTES = 500;
    /** Offsets of the record's changelog partition looked through for its revisions. */
    static final int HISTORY_WINDOW = 100_000;
    static final int REVISIONS_SHOWN = 50;
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

    private final PersonaConfig config;
    private final Authenticator auth;
    private final TopicTail tail;
    private final dev.persona.cluster.InstanceStatus status;

    CollectionRoutes(final PersonaConfig config, final Authenticator auth, final TopicTail tail, final dev.persona.cluster.InstanceStatus status) {
        this.config = config;
        this.status = status;
        this.auth = auth;
        this.tail = tail;
    }

    void register(final RoutesConfig routes) {
        routes.get("/admin/collections", this::list);
        routes.get("/admin/collections/{collection}/dead-letters", this::deadLetters);
        routes.get("/admin/collections/{collection}/records/{id}/history", this::history);
    }

    private void list(final Context ctx) {
        auth.requireAdmin(ctx);
        final Map<String, Object> version = status.version();
        final String state = String.valueOf(version.getOrDefault("state", "complete"));
        ctx.json(Map.of("version", version, "collections", config.collections().stream().map(c -> {
            final Map<String, Object> view = new LinkedHashMap<>();
            view.put("name", c.name());
            view.put("primaryIndex", c.primaryIndex());
            view.put("secondaryIndices", c.secondaryIndices());
            view.put("partitions", c.partitions());
            view.put("syncs", config.syncsOf(c.name()).stream().map(SyncConfig::id).toList());
            // A collection of a version that builds is not served yet: what it will hold is not all there.
            view.put("state", "building".equals(state) ? "building" : "serving");
            return view;
        }).toList()));
    }

    private CollectionConfig collection(final Context ctx) {
        final String name = ctx.pathParam("collection");
        return config.collections().stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> ApiException.notFound("collection_not_found", "no collection '" + name + "'; there are "
                        + config.collections().stream().map(CollectionConfig::name).toList()));
    }

    private void deadLetters(final Context ctx) {
        auth.requireAdmin(ctx);
        final CollectionConfig collection = collection(ctx);
        final String topic = new TopicNames(config.kafka()).deadLetterTopic(collection.name());
        // The tail leaves out what a later tombstone (a purge's) removes; the purge's tombstones are not dead letters.
        final List<Map<String, Object>> letters = tail.newest(topic, Optional.empty(), DEAD_LETTERS_SHOWN, DEAD_LETTERS_SHOWN,
                record -> record.value() != null || record.headers().lastHeader(Purges.HEADER) == null, READ_TIMEOUT)
                .stream().map(CollectionRoutes::deadLetter).toList();
        ctx.json(Map.of("collection", collection.name(), "topic", topic, "deadLetters", letters));
    }

    private static Map<String, Object> deadLetter(final ConsumerRecord<byte[], byte[]> record) {
        final Map<String, Object> view = new LinkedHashMap<>();
        view.put("at", Instant.ofEpochMilli(record.timestamp()).toString());
        view.put("sync", header(record, DeadLetterHeaders.SYNC));
        view.put("reason", header(record, DeadLetterHeaders.REASON));
        view.put("key", record.key() == null || record.headers().lastHeader(DeadLetterHeaders.UNKEYED) != null ? null : utf8(record.key(), PREVIEW_BYTES));
        view.put("source", header(record, DeadLetterHeaders.TOPIC) == null ? null : header(record, DeadLetterHeaders.TOPIC)
                + "/" + header(record, DeadLetterHeaders.PARTITION) + "@" + header(record, DeadLetterHeaders.OFFSET));
        view.put("payloadBytes", record.value() == null ? 0 : record.value().length);
        view.put("payloadPreview", record.value() == null ? null : utf8(record.value(), PREVIEW_BYTES));
        view.put("offset", record.offset());
        view.put("partition", record.partition());
        return view;
    }

    private void history(final Context ctx) {
        auth.requireAdmin(ctx);
        final CollectionConfig collection = collection(ctx);
        final String id = ctx.pathParam("id");
        final byte[] key = id.getBytes(StandardCharsets.UTF_8);
        final String changelog = new TopicNames(config.kafka()).changelog(TopicNames.recordStore(collection));
        final int partition = KeyPartitions.of(id, collection.partitions());
        final List<Map<String, Object>> revisions = tail.newest(changelog, Optional.of(partition), HISTORY_WINDOW, REVISIONS_SHOWN,
                record -> Arrays.equals(key, record.key()), READ_TIMEOUT).stream().map(CollectionRoutes::revision).toList();
        ctx.json(Map.of("collection", collection.name(), "id", id, "changelog", changelog + "/" + partition, "revisions", revisions));
    }

    private static Map<String, Object> revision(final ConsumerRecord<byte[], byte[]> record) {
        final Map<String, Object> view = new LinkedHashMap<>();
        view.put("offset", record.offset());
        view.put("at", Instant.ofEpochMilli(record.timestamp()).toString());
        if (record.value() == null || !StoredRecord.isPresent(record.value())) {
            view.put("deleted", true);
        } else {
            view.put("revision", StoredRecord.revision(record.value()));
            view.put("record", RecordView.parse(record.value()));
        }
        return view;
    }

    private static String header(final ConsumerRecord<byte[], byte[]> record, final String name) {
        final Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static String utf8(final byte[] bytes, final int max) {
        final String text = new String(bytes, 0, Math.min(bytes.length, max), StandardCharsets.UTF_8);
        return bytes.length > max ? text + "…" : text;
    }
}
