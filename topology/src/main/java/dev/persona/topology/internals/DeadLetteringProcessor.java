package dev.persona.topology.internals;

import dev.persona.topology.DeadLetterHeaders;
import dev.persona.topology.MalformedRowException;
import dev.persona.topology.Purges;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Runs a {@link RowStep} on each raw record and forwards either its result or, when the step rejects the record,
 * the original bytes with the reason in {@link DeadLetterHeaders}, so one bad row never stops a sync. Original bytes
 * larger than {@code maxPayloadBytes} are left out of the dead letter (it could not be written otherwise).
 */
public final class DeadLetteringProcessor<K, V> implements Processor<byte[], byte[], K, Routed<V>> {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetteringProcessor.class);

    private final String sync;
    private final RowStep<K, V> step;
    private final int maxPayloadBytes;
    private ProcessorContext<K, Routed<V>> context;
    private Sensor deadLetters;

    public DeadLetteringProcessor(final String sync, final RowStep<K, V> step, final int maxPayloadBytes) {
        this.sync = sync;
        this.step = step;
        this.maxPayloadBytes = maxPayloadBytes;
    }

    @Override
    public void init(final ProcessorContext<K, Routed<V>> context) {
        this.context = context;
        deadLetters = context.metrics().addSensor("persona-dead-letters-" + sync + "-" + context.taskId(), Sensor.RecordingLevel.INFO);
        deadLetters.add(new MetricName("persona-dead-letters-total", "persona", "rows sent to the dead-letter topic",
                Map.of("sync", sync, "task", context.taskId().toString())), new CumulativeCount());
    }

    @Override
    public void process(final Record<byte[], byte[]> record) {
        if (record.value() == null && record.headers().lastHeader(Purges.HEADER) != null) {
            // Written by a purge so that compaction removes the key's rows: not a delete at the source.
            return;
        }
        try {
            step.apply(record.key(), record.value(), record.timestamp(), context.recordMetadata().map(RecordMetadata::partition).orElse(-1),
                            record.headers())
                    .ifPresent(kv -> context.forward(record.withKey(kv.key).withValue(new Routed.Ok<>(kv.value))));
        } catch (final MalformedRowException e) {
            deadLetter(record, e.getMessage());
        } catch (final RuntimeException e) {
            LOG.warn("Sync {}: unexpected error reading a row; it goes to the dead-letter topic", sync, e);
            deadLetter(record, "unexpected error: " + e);
        }
    }

    private void deadLetter(final Record<byte[], byte[]> record, final String reason) {
        deadLetters.record();
        final Headers headers = new RecordHeaders(record.headers().toArray());
        headers.add(DeadLetterHeaders.REASON, utf8(reason));
        headers.add(DeadLetterHeaders.SYNC, utf8(sync));
        context.recordMetadata().ifPresent((RecordMetadata m) -> {
            headers.add(DeadLetterHeaders.TOPIC, utf8(m.topic()));
            headers.add(DeadLetterHeaders.PARTITION, utf8(Integer.toString(m.partition())));
            headers.add(DeadLetterHeaders.OFFSET, utf8(Long.toString(m.offset())));
        });
        final byte[] payload = record.value() != null && record.value().length > maxPayloadBytes ? null : record.value();
        context.forward(new Record<K, Routed<V>>(null, new Routed.Failed<>(DeadLetterHeaders.keyOf(record.key(), headers), payload),
                record.timestamp(), headers));
    }

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
