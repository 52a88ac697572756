package dev.persona.ingest.cdc;

import dev.persona.config.PersonaConfig;
import dev.persona.config.Secrets;
import dev.persona.config.SourceConfig;
import dev.persona.config.SyncConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code persona_cdc_slot_lag_bytes{sync}}: how much WAL each PostgreSQL CDC sync's replication slot holds back
 * ({@code pg_current_wal_lsn() - confirmed_flush_lsn}), read every {@value #EVERY_SECONDS} s on a thread of its own
 * so that a scrape never waits for a database. A slot that falls behind makes the database keep WAL until its disk
 * fills, which is why it is worth an alert. NaN while the database cannot be asked or the slot does not exist yet.
 */
public final class SlotLag implements AutoCloseable {
    static final int EVERY_SECONDS = 15;
    private static final Logger LOG = LoggerFactory.getLogger(SlotLag.class);
    private static final String QUERY = "select pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) from pg_replication_slots where slot_name = ?";

    private final ScheduledExecutorService timer;
    private final Map<String, Double> lag = new ConcurrentHashMap<>();

    private SlotLag(final ScheduledExecutorService timer) {
        this.timer = timer;
    }

    /** Starts reading the slots of the configuration's PostgreSQL CDC syncs; does nothing without one. */
    /** Watches no slot: where no instance captures (a test of the HTTP layer). */
    public static SlotLag none() {
        return new SlotLag(Executors.newSingleThreadScheduledExecutor(runnable -> {
            final Thread thread = new Thread(runnable, "persona-cdc-slot-lag");
            thread.setDaemon(true);
            return thread;
        }));
    }

    public static SlotLag start(final PersonaConfig config, final MeterRegistry metrics) {
        final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            final Thread thread = new Thread(runnable, "persona-cdc-slot-lag");
            thread.setDaemon(true);
            return thread;
        });
        final SlotLag slots = new SlotLag(timer);
        for (final SyncConfig sync : config.syncs()) {
            final java.util.Optional<SourceConfig.Cdc> slotted = sync.source().on(cdc -> java.util.Optional.of(cdc).filter(SourceConfig.Cdc::readsWriteAheadLog),
                    query -> java.util.Optional.empty(), topic -> java.util.Optional.empty());
            if (slotted.isPresent()) {
                final SourceConfig.Cdc cdc = slotted.get();
                slots.lag.put(sync.id(), Double.NaN);
                Gauge.builder("persona.cdc.slot.lag", slots.lag, l -> l.getOrDefault(sync.id(), Double.NaN)).baseUnit("bytes")
                        .description("WAL the sync's replication slot holds back").tag("sync", sync.id()).register(metrics);
                final String slot = CdcSyncWorker.slotName(sync);
                timer.scheduleWithFixedDelay(() -> slots.read(sync.id(), cdc.connection(), slot), 0, EVERY_SECONDS, TimeUnit.SECONDS);
            }
        }
        return slots;
    }

    private void read(final String sync, final String url, final String slot) {
        try (Connection db = Queries.connect(url);
             PreparedStatement statement = db.prepareStatement(QUERY)) {
            statement.setQueryTimeout(10);
            statement.setString(1, slot);
            try (ResultSet rows = statement.executeQuery()) {
                lag.put(sync, rows.next() ? rows.getDouble(1) : Double.NaN);
            }
        } catch (final SQLException | RuntimeException e) {
            lag.put(sync, Double.NaN);
            LOG.debug("Sync {}: cannot read the replication slot's lag: {}", sync, Secrets.masked(String.valueOf(e.getMessage())));
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
