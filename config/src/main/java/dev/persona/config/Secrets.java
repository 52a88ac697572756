package dev.persona.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The secrets a configuration holds (passwords in connection URLs, the cluster secret, secret Kafka client
 * properties) and their removal from any text that may leave the process: run errors, alerts, responses, logs. A
 * driver's error message may quote the URL it was given, with the password substituted from the environment in it.
 * Known values are replaced wherever they appear; {@code password=...} (and any parameter named for a password, a
 * token, a key or a secret: {@code PWD=}, {@code token=}, {@code OAuthAccessToken=}, {@code private_key_file_pwd=}),
 * {@code user:password@} and Oracle's {@code user/password@} are masked whatever their value.
 */
public final class Secrets {
    /** What a secret is replaced with. */
    public static final String MASK = "***";
    /**
     * Names of URL parameters and properties whose value is a secret: passwords, tokens, keys and their passphrases
     * (Athena's {@code SecretAccessKey=}, Azure's {@code AccountKey=} and SAS {@code sig=}, Snowflake's
     * {@code private_key=}), but not every name ending in "key" ({@code primaryKey: id} is no secret).
     */
    private static final String SECRET_NAME = "[\\w.-]*?(?:password|passwd|pwd|passphrase|secret|token|apikey|api_key|credentials?"
            + "|(?:access|secret|private|account|shared|auth|encryption|master|signing|client|session|sas)[_.-]?key|sig|signature)";
    private static final Pattern URL_PASSWORD = Pattern.compile("(?i)([?&;]" + SECRET_NAME + "=)([^&;\\s]*)");
    private static final Pattern USER_INFO = Pattern.compile("(//[^:/@\\s]+:)([^@/\\s]*)@");
    /** Oracle's thin URL: {@code jdbc:oracle:thin:user/password@host:1521/service}. */
    private static final Pattern ORACLE_USER_PASSWORD = Pattern.compile("(?i)(jdbc:oracle:\\w+:[^/@:\\s]+/)([^@\\s]+)@");
    private static final Pattern JAAS_PASSWORD = Pattern.compile("(?i)(password\\s*=\\s*\")([^\"]*)\"");
    private static final Pattern ANY_PASSWORD = Pattern.compile("(?i)\\b(" + SECRET_NAME + ")(\\s*[=:]\\s*)([^&;,\\s'\"})]+)");
    private static final int SHORTEST = 4;

    private final List<String> values;

    private Secrets(final List<String> values) {
        this.values = values;
    }

    /** The secrets of a configuration. */
    public static Secrets of(final PersonaConfig config) {
        final Set<String> found = new LinkedHashSet<>();
        for (final SyncConfig sync : config.syncs()) {
            sync.source().jdbcUrl().ifPresent(url -> addFromUrl(url, found));
        }
        for (final Map.Entry<String, String> property : config.kafka().properties().entrySet()) {
            if (property.getKey().matches("(?i).*(password|secret|jaas|token|credential).*")) {
                found.add(property.getValue());
                collect(JAAS_PASSWORD, 2, property.getValue(), found);
            }
        }
        config.http().clusterSecret().ifPresent(found::add);
        return ofValues(found);
    }

    /** Secrets given as values (a start-up admin key, say). */
    public static Secrets ofValues(final Set<String> given) {
        final List<String> kept = new ArrayList<>();
        for (final String value : given) {
            if (value != null && value.length() >= SHORTEST) {
                kept.add(value);
                final String encoded = java.net.URLEncoder.encode(value, StandardCharsets.UTF_8);
                if (!encoded.equals(value)) {
                    kept.add(encoded);
                }
            }
        }
        // Longest first, so that a secret containing another is masked whole.
        kept.sort(Comparator.comparingInt(String::length).reversed());
        return new Secrets(List.copyOf(kept));
    }

    /** These secrets and those. */
    public Secrets and(final Secrets other) {
        final Set<String> both = new LinkedHashSet<>(values);
        both.addAll(other.values);
        return ofValues(both);
    }

    /** {@code text} with every known secret, and anything that looks like a password, masked; null stays null. */
    public String redact(final String text) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (final String value : values) {
            if (out.contains(value)) {
                out = out.replace(value, MASK);
            }
        }
        return masked(out);
    }

    /** {@code text} with anything that looks like a password masked, known values aside. */
    public static String masked(final String text) {
        if (text == null) {
            return null;
        }
        String out = URL_PASSWORD.matcher(text).replaceAll("$1" + MASK);
        out = USER_INFO.matcher(out).replaceAll("$1" + MASK + "@");
        out = ORACLE_USER_PASSWORD.matcher(out).replaceAll("$1" + MASK + "@");
        out = JAAS_PASSWORD.matcher(out).replaceAll("$1" + MASK + "\"");
        return ANY_PASSWORD.matcher(out).replaceAll(m -> m.group(3).equals(MASK) ? Matcher.quoteReplacement(m.group())
                : Matcher.quoteReplacement(m.group(1) + m.group(2) + MASK));
    }

    private static void addFromUrl(final String url, final Set<String> found) {
        collect(URL_PASSWORD, 2, url, found);
        collect(USER_INFO, 2, url, found);
        collect(ORACLE_USER_PASSWORD, 2, url, found);
    }

    private static void collect(final Pattern pattern, final int group, final String text, final Set<String> found) {
        final Matcher m = pattern.matcher(text);
        while (m.find()) {
            final String value = m.group(group);
            found.add(value);
            found.add(URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
    }
}
