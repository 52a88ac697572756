package dev.persona.runtime;

import dev.persona.config.SourceConfig;
import dev.persona.config.SyncConfig;
import dev.persona.ingest.cdc.CdcPreflight;
import dev.persona.ingest.query.QueryPreflight;

import java.sql.SQLException;
import java.util.Optional;

/**
 * What would stop a sync from starting, asked of its database before anything starts: a CDC sync's preflight (the one
 * its start runs), a query sync's driver and login. A topic sync reads the Kafka cluster {@code serve} is given, which
 * is not asked here. For {@code persona validate --connect}.
 */
public final class SyncPreflight {
    private SyncPreflight() {
    }

    /** The problem, with its fix; the message may quote a connection URL, so redact it before showing it. */
    public static Optional<String> problem(final SyncConfig sync) {
        return sync.source().on(cdc -> {
            try {
                return CdcPreflight.problem(cdc, sync.primaryKey());
            } catch (final SQLException e) {
                return Optional.of(CdcPreflight.cannotConnect(cdc, e));
            }
        }, QueryPreflight::problem, topic -> Optional.empty());
    }
}
