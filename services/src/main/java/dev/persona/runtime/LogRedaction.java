package dev.persona.runtime;

import ch.qos.logback.classic.pattern.ExtendedThrowableProxyConverter;
import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import dev.persona.config.Secrets;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Keeps secrets out of the log: {@code %redactedMsg} and {@code %redactedEx} in {@code logback.xml} write the message
 * and the stack trace with every secret of the running configuration masked, and anything shaped like a password
 * ({@code password=...}, {@code user:password@}) masked always. A JDBC driver's exception may quote the URL with its
 * password, and Kafka's and Debezium's logs quote their configuration.
 *
 * <p>Logback creates converters itself, so the secrets they mask are held here for the process, as logging is;
 * {@link #install} sets them when an instance starts.
 */
public final class LogRedaction {
    private static final AtomicReference<Secrets> SECRETS = new AtomicReference<>(Secrets.ofValues(java.util.Set.of()));

    private LogRedaction() {
    }

    /** Masks these secrets in every later log line, besides those given before. */
    public static void install(final Secrets secrets) {
        SECRETS.updateAndGet(current -> current.and(secrets));
    }

    static String redact(final String text) {
        return SECRETS.get().redact(text);
    }

    /** {@code %redactedMsg}: the formatted message, redacted. */
    public static final class Message extends MessageConverter {
        @Override
        public String convert(final ILoggingEvent event) {
            return redact(super.convert(event));
        }
    }

    /** {@code %redactedEx}: the stack trace with its messages, redacted. */
    public static final class Stack extends ExtendedThrowableProxyConverter {
        @Override
        protected String throwableProxyToString(final IThrowableProxy proxy) {
            return redact(super.throwableProxyToString(proxy));
        }
    }
}
