package dev.persona.config;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${VAR}} and {@code ${VAR:-default}} in configuration values with the environment's.
 * An unset variable without a default becomes the empty string, which a required key then reports.
 * {@code $${...}} stands for a literal {@code ${...}}.
 */
final class EnvironmentSubstitution {
    private static final Pattern REFERENCE = Pattern.compile("\\$(\\$?)\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private final Map<String, String> environment;

    EnvironmentSubstitution(final Map<String, String> environment) {
        this.environment = environment;
    }

    String apply(final String value) {
        if (value.indexOf('$') < 0) {
            return value;
        }
        final Matcher matcher = REFERENCE.matcher(value);
        final StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            final String replacement;
            if (!matcher.group(1).isEmpty()) {
                replacement = matcher.group().substring(1);
            } else {
                final String set = environment.get(matcher.group(2));
                final String fallback = matcher.group(3);
                replacement = set != null && !set.isEmpty() ? set : fallback == null ? "" : fallback;
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        matcher.appendTail(out);
        return out.toString();
    }
}
