package dev.persona.cli;

import dev.persona.config.PersonaConfig;
import dev.persona.kafka.DataDirectoryInUseException;
import dev.persona.kafka.KafkaUnreachableException;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.runtime.PortInUseException;

import java.util.concurrent.CountDownLatch;

/** Starting an instance from the command line and keeping it until the process is told to stop. */
final class Instances {
    private Instances() {
    }

    static PersonaInstance start(final PersonaConfig config, final InstanceOptions options) {
        try {
            return PersonaInstance.start(config, options);
        } catch (final PortInUseException | DataDirectoryInUseException | KafkaUnreachableException e) {
            throw new CommandFailure(e.getMessage());
        } catch (final RuntimeException e) {
            final String message = e.getMessage() == null ? e.toString() : e.getMessage();
            if (message.contains("Address already in use") || message.contains("Failed to bind")) {
                throw new CommandFailure("port " + options.port() + " is in use: pass another with --port");
            }
            throw e;
        }
    }

    /** Blocks until SIGINT or SIGTERM, then closes the instance. */
    static void awaitShutdown(final PersonaInstance instance) {
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            instance.close();
            stopped.countDown();
        }, "persona-shutdown"));
        try {
            stopped.await();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
