package dev.persona.config;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.parser.CronParser;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two schedule spellings of a query sync: {@code every <n>s|m|h} and 5-field (UNIX) cron, parsed by cron-utils,
 * the library that runs the schedule, so that whatever validation accepts also runs.
 */
public final class Schedules {
    private static final Pattern EVERY = Pattern.compile("every\\s+(\\d+\\s*[smh])");
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(s|m|h)");
    private static final Pattern RETENTION = Pattern.compile("(\\d{1,6})\\s*(h|d|w)");
    private static final CronParser CRON = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    private Schedules() {
    }

    /** The interval of an {@code every ...} schedule; empty for cron. */
    public static Optional<Duration> interval(final String schedule) {
        final Matcher matcher = EVERY.matcher(schedule.trim());
        return matcher.matches() ? duration(matcher.group(1)) : Optional.empty();
    }

    /** A 5-field cron expression as cron-utils reads it. */
    public static Cron cron(final String schedule) {
        return CRON.parse(schedule.trim());
    }

    /** A retention written {@code <n>h|d|w}, such as {@code 90d}, of an hour or more; empty when it is not one. */
    public static Optional<Duration> retention(final String text) {
        final Matcher matcher = RETENTION.matcher(text.trim());
        if (!matcher.matches()) {
            return Optional.empty();
        }
        final long n = Long.parseLong(matcher.group(1));
        final Duration duration = switch (matcher.group(2)) {
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofDays(7 * n);
        };
        return duration.compareTo(Duration.ofHours(1)) >= 0 ? Optional.of(duration) : Optional.empty();
    }

    /** A duration written {@code <n>s|m|h}, such as {@code 30m}; empty when it is not one. */
    public static Optional<Duration> duration(final String text) {
        final Matcher matcher = DURATION.matcher(text.trim());
        if (!matcher.matches()) {
            return Optional.empty();
        }
        final long amount = Long.parseLong(matcher.group(1));
        return Optional.of(switch (matcher.group(2)) {
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
        });
    }

    static boolean isValid(final String schedule) {
        if (interval(schedule).filter(d -> !d.isZero()).isPresent()) {
            return true;
        }
        if (schedule.trim().split("\\s+").length != 5) {
            return false;
        }
        try {
            cron(schedule).validate();
            return true;
        } catch (final IllegalArgumentException e) {
            return false;
        }
    }
}
