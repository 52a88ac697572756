package dev.persona.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Everything logged while it is open, through the same redacting converters as Persona's own log files, so a test can
 * look for a planted password in it. The loggers it is given log at DEBUG meanwhile: drivers and Debezium log their
 * configuration there, and a password in it would be found.
 */
public final class LogCapture implements AutoCloseable {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    private final List<String> debugLoggers;

    private LogCapture(final List<String> debugLoggers) {
        this.debugLoggers = debugLoggers;
    }

    /** Starts capturing, with these loggers at DEBUG until {@link #close}. */
    public static LogCapture start(final String... debugLoggers) {
        final LogCapture capture = new LogCapture(List.of(debugLoggers));
        final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        final PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d %-5level %logger - %redactedMsg%n%redactedEx");
        encoder.start();
        capture.appender.setContext(context);
        capture.appender.setEncoder(encoder);
        capture.appender.setOutputStream(capture.out);
        capture.appender.start();
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(capture.appender);
        capture.debugLoggers.forEach(name -> context.getLogger(name).setLevel(Level.DEBUG));
        return capture;
    }

    /** What was logged so far. */
    public String text() {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        final Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAppender(appender);
        debugLoggers.forEach(name -> context.getLogger(name).setLevel(null));
        appender.stop();
    }
}
