package dev.persona.config;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The two schedule spellings of a query sync: {@code every <n>s|m|h} and 5-field cron. */
public final class Schedules {
    private static final Pattern EVERY = Pattern.compile("every\\s+(\\d+)\\s*(s|m|h)");
    private static final Pattern CRON_FIELD = Pattern.compile("[0-9*/,\\-A-Za-z?]+");

    private Schedules() {
    }

    /** The interval of an {@code every ...} schedule; empty for cron. */
    public static Optional<Duration> interval(final String schedule) {
        final Matcher matcher = EVERY.matcher(schedule.trim());
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
        final String[] fields = schedule.trim().split("\\s+");
        if (fields.length != 5) {
            return false;
        }
        for (final String field : fields) {
            if (!CRON_FIELD.matcher(field).matches()) {
                return false;
            }
        }
        return true;
    }
}
