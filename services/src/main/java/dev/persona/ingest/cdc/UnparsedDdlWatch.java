package dev.persona.ingest.cdc;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Hears Debezium skip a DDL statement on the captured table. Persona tells the MySQL connector to skip DDL it cannot
 * parse ({@code schema.history.internal.skip.unparseable.ddl}): its grammar is MySQL's, so a MariaDB-only column type
 * ({@code uuid}, {@code inet6}) in any table of the captured database would otherwise stop capture at that statement
 * for good. Skipping a statement on the captured table itself, though, would leave Debezium mapping row values to the
 * columns it knew before, possibly the wrong ones; Debezium says it skipped only in its log ("Ignoring unparseable DDL
 * statement"), so this appender listens there and reports such a statement, which fails the sync with its fix.
 */
final class UnparsedDdlWatch extends AppenderBase<ILoggingEvent> {
    /** The logger of {@code io.debezium.connector.binlog.BinlogDatabaseSchema}, which logs each skipped statement. */
    static final String DEBEZIUM_LOGGER = "io.debezium.connector.binlog.BinlogDatabaseSchema";
    private static final String SKIPPED = "Ignoring unparseable DDL statement";
    /** The MDC key by which Debezium names the connector a log line is of: its {@code topic.prefix}. */
    private static final String LOGICAL_NAME = "dbz.connectorLogicalName";

    private final String logicalName;
    private final Pattern table;
    private final Consumer<String> onCapturedTable;

    /**
     * @param topicPrefix     the sync's Debezium {@code topic.prefix}, which Debezium's log lines carry in their MDC
     * @param table           the captured table, {@code database.table}
     * @param onCapturedTable told the statement when one on the captured table was skipped
     */
    private UnparsedDdlWatch(final String topicPrefix, final String table, final Consumer<String> onCapturedTable) {
        this.logicalName = topicPrefix;
        final String name = table.substring(table.indexOf('.') + 1);
        this.table = Pattern.compile("(?i)(^|[^A-Za-z0-9_$])`?" + Pattern.quote(name) + "`?($|[^A-Za-z0-9_$])");
        this.onCapturedTable = onCapturedTable;
    }

    /** Starts listening; {@link #stop} ends it. */
    static UnparsedDdlWatch start(final String topicPrefix, final String table, final Consumer<String> onCapturedTable) {
        final UnparsedDdlWatch watch = new UnparsedDdlWatch(topicPrefix, table, onCapturedTable);
        final Logger logger = (Logger) LoggerFactory.getLogger(DEBEZIUM_LOGGER);
        watch.setContext(logger.getLoggerContext());
        watch.setName("persona-unparsed-ddl-" + topicPrefix);
        watch.start();
        if (!logger.isWarnEnabled()) {
            // A logging configuration that silences Debezium must not silence this.
            logger.setLevel(Level.WARN);
        }
        logger.addAppender(watch);
        return watch;
    }

    @Override
    public void stop() {
        ((Logger) LoggerFactory.getLogger(DEBEZIUM_LOGGER)).detachAppender(this);
        super.stop();
    }

    @Override
    protected void append(final ILoggingEvent event) {
        if (!event.getMessage().startsWith(SKIPPED) || !logicalName.equals(event.getMDCPropertyMap().get(LOGICAL_NAME))) {
            return;
        }
        final Object[] arguments = event.getArgumentArray();
        final String statement = arguments != null && arguments.length > 0 && arguments[0] != null ? arguments[0].toString() : "";
        if (mentionsTable(statement)) {
            onCapturedTable.accept(statement);
        }
    }

    /** Whether a statement names the captured table (a word of its own, quoted or not). */
    boolean mentionsTable(final String statement) {
        return table.matcher(statement).find();
    }
}
