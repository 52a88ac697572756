package dev.persona.ingest;

import dev.persona.topology.DeadLetterHeaders;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;

/**
 * A change row that ingest could not hand to Kafka, on its way to the collection's dead-letter topic: keyed by the
 * primary key, the reason, sync and version in {@link DeadLetterHeaders}, and the payload only where it is small
 * enough to be kept (a row too large for Kafka is dead-lettered without it).
 *
 * @param sync    the sync whose row it is
 * @param key     the primary key, or null where the row had none
 * @param version the change's version (LSN, run version), or null
 * @param reason  what was wrong and what to do, in words
 * @param payload the original bytes, or null
 */
public record DeadLetter(String sync, String key, Long version, String reason, byte[] payload) {
    /** Payloads above this are left out, so the dead letter itself always fits. */
    static final int MAX_PAYLOAD = 256 * 1024;

    /** The record to produce to {@code topic}. */
    public ProducerRecord<String, byte[]> toRecord(final String topic) {
        final RecordHeaders headers = new RecordHeaders();
        headers.add(DeadLetterHeaders.REASON, utf8(reason));
        headers.add(DeadLetterHeaders.SYNC, utf8(sync));
        if (version != null) {
            headers.add(DeadLetterHeaders.VERSION, utf8(Long.toString(version)));
        }
        final byte[] kept = payload != null && payload.length <= MAX_PAYLOAD ? payload : null;
        final String keyed = key != null ? key : new String(DeadLetterHeaders.keyOf(null, headers), StandardCharsets.UTF_8);
        return new ProducerRecord<>(topic, null, keyed, kept, headers);
    }

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
