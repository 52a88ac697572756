package dev.persona.ingest;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The largest change row (key plus value bytes) that a sync topic takes: the smaller of the producer's
 * {@code max.request.size} and the topic's {@code max.message.bytes}, less room for the batch and record headers.
 * A larger row would fail in the producer or at the broker; ingest dead-letters it instead, before sending, so one
 * row never fails the rows around it (in a batch or a transaction).
 */
public final class RowSizeLimit {
    private static final Logger LOG = LoggerFactory.getLogger(RowSizeLimit.class);
    /** Record batch header (61 bytes), record framing and Persona's headers, with room to spare. */
    static final int OVERHEAD = 1024;
    private static final int KAFKA_DEFAULT = 1_048_576;

    private final String topic;
    private final int limit;
    private final String smaller;

    private RowSizeLimit(final String topic, final int limit, final String smaller) {
        this.topic = topic;
        this.limit = limit;
        this.smaller = smaller;
    }

    /**
     * The limit for rows produced to {@code topic} with {@code producerProperties}.
     *
     * @param smaller how a row of this source is made smaller, for the rejection's fix
     */
    public static RowSizeLimit of(final String topic, final Map<String, Object> producerProperties, final String smaller) {
        final int request = intValue(producerProperties.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), KAFKA_DEFAULT);
        int topicMax = request;
        try (Admin admin = Admin.create(producerProperties)) {
            final ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            final Config config = admin.describeConfigs(Set.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
            final ConfigEntry entry = config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            if (entry != null && entry.value() != null) {
                topicMax = Integer.parseInt(entry.value());
            }
        } catch (final Exception e) {
            LOG.warn("Cannot read max.message.bytes of {} ({}); assuming the producer's max.request.size, {} bytes", topic, e.getMessage(), request);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
        return new RowSizeLimit(topic, Math.min(request, topicMax) - OVERHEAD, smaller);
    }

    /** Why the row of {@code key} with this envelope cannot be produced, or empty when it fits. */
    public Optional<String> rejection(final String key, final byte[] envelope) {
        final long size = envelope.length + (long) key.getBytes(StandardCharsets.UTF_8).length;
        if (size <= limit) {
            return Optional.empty();
        }
        return Optional.of("the change row is " + size + " bytes, larger than topic " + topic + " takes (" + limit
                + " bytes: the smaller of its max.message.bytes and the producer's max.request.size, less " + OVERHEAD
                + "). Fix: make the row smaller (" + smaller + "), or raise both limits");
    }

    private static int intValue(final Object value, final int fallback) {
        if (value == null) {
            return fallback;
        }
        return value instanceof Number n ? n.intValue() : Integer.parseInt(value.toString().trim());
    }
}
