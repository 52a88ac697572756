package dev.persona.ingest;

import com.cronutils.model.time.ExecutionTime;
import dev.persona.config.PersonaConfig;
import dev.persona.config.Schedules;
import dev.persona.config.SourceConfig;
import dev.persona.config.SyncConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * Gauges an alert can compare, per sync, on every instance (the run history reaches all of them, so a rule takes the
 * {@code max by (sync)}):
 * <ul>
 *   <li>{@code persona_sync_last_success_age_seconds}: since the newest succeeded run ended (absent before one);</li>
 *   <li>{@code persona_sync_last_run_failed}: 1 when the newest finished run failed, else 0;</li>
 *   <li>{@code persona_sync_schedule_seconds}: a query sync's interval (for cron, the gap between its next two runs).</li>
 * </ul>
 */
final class SyncMetrics {
    private SyncMetrics() {
    }

    static void bind(final PersonaConfig config, final RunHistory history, final MeterRegistry metrics, final Clock clock) {
        for (final SyncConfig sync : config.syncs()) {
            Gauge.builder("persona.sync.last.success.age", history, h -> lastSuccessAge(h, sync.id(), clock))
                    .baseUnit("seconds").description("seconds since the sync's newest succeeded run ended; NaN before one")
                    .tag("sync", sync.id()).register(metrics);
            Gauge.builder("persona.sync.last.run.failed", history, h -> h.runs(sync.id()).stream().filter(run -> !run.isRunning()).findFirst()
                            .map(run -> run.status() == RunStatus.FAILED ? 1.0 : 0.0).orElse(Double.NaN))
                    .description("1 when the sync's newest finished run failed, 0 when it succeeded").tag("sync", sync.id()).register(metrics);
            final java.util.Optional<String> schedule = sync.source().on(cdc -> java.util.Optional.empty(), query -> java.util.Optional.of(query.schedule()),
                    topic -> java.util.Optional.empty());
            if (schedule.isPresent()) {
                final double seconds = interval(schedule.get(), clock).toMillis() / 1000.0;
                Gauge.builder("persona.sync.schedule", () -> seconds).baseUnit("seconds")
                        .description("how often the query sync runs").tag("sync", sync.id()).register(metrics);
            }
        }
    }

    private static double lastSuccessAge(final RunHistory history, final String sync, final Clock clock) {
        return history.runs(sync).stream().filter(run -> run.status() == RunStatus.SUCCEEDED && run.endedAt() != null).findFirst()
                .map(run -> (clock.millis() - run.endedAt()) / 1000.0).orElse(Double.NaN);
    }

    static Duration interval(final String schedule, final Clock clock) {
        final Optional<Duration> every = Schedules.interval(schedule);
        if (every.isPresent()) {
            return every.get();
        }
        final ExecutionTime times = ExecutionTime.forCron(Schedules.cron(schedule));
        final ZonedDateTime now = ZonedDateTime.now(clock);
        return times.nextExecution(now)
                .flatMap(next -> times.nextExecution(next).map(after -> Duration.between(next, after)))
                .orElse(Duration.ZERO);
    }
}
