package dev.persona.kafka;

/**
 * The Kafka cluster did not answer when an instance started: nothing is reachable at the bootstrap servers, or the
 * client may not connect (TLS, SASL). The message names the servers, the cause and where to fix them, never a
 * password: bootstrap servers hold none, and the cause is Kafka's own message.
 */
public final class KafkaUnreachableException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * @param bootstrapServers the servers the instance was given
     * @param cause            what the admin client reported
     */
    public KafkaUnreachableException(final String bootstrapServers, final Throwable cause) {
        super("cannot reach the Kafka cluster at " + bootstrapServers + ": " + cause.getMessage() + ". Fix: check kafka.bootstrapServers "
                + "(or --bootstrap-servers) and that the brokers are up; a secured cluster also needs kafka.properties "
                + "(security.protocol, sasl.*, ssl.*)", cause);
    }
}
