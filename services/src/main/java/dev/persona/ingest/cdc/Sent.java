package dev.persona.ingest.cdc;

import dev.persona.ingest.DeadLetter;
import dev.persona.topology.ChangeRow;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * One record of a CDC batch handed to the producer, with what it carries: a change row, or a dead letter.
 *
 * @param row    the change row, or null for a dead letter
 * @param letter the dead letter, or null for a change row
 * @param ack    the producer's acknowledgement
 */
record Sent(ChangeRow row, DeadLetter letter, Future<RecordMetadata> ack) {

    static Sent row(final KafkaProducer<String, byte[]> producer, final ChangeRow row, final ProducerRecord<String, byte[]> record) {
        return new Sent(row, null, send(producer, record));
    }

    static Sent deadLetter(final KafkaProducer<String, byte[]> producer, final String topic, final DeadLetter letter) {
        return new Sent(null, letter, send(producer, letter.toRecord(topic)));
    }

    /** Why Kafka did not take it, once the producer is flushed; empty when it did. */
    Optional<Throwable> failure() {
        try {
            ack.get();
            return Optional.empty();
        } catch (final ExecutionException e) {
            return Optional.of(e.getCause());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of(e);
        }
    }

    /** The producer reports most failures through the future, some by throwing: both become a failed future. */
    private static Future<RecordMetadata> send(final KafkaProducer<String, byte[]> producer, final ProducerRecord<String, byte[]> record) {
        try {
            return producer.send(record);
        } catch (final KafkaException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
