package dev.persona.kafka;

/**
 * How the topics Persona creates are replicated: its own topics and the internal topics of Kafka Streams
 * (changelogs, repartition topics) alike.
 *
 * @param factor    replicas of each partition
 * @param minInsync {@code min.insync.replicas}: acknowledged writes survive the loss of {@code factor - minInsync} brokers
 */
public record TopicReplication(int factor, int minInsync) {
}
