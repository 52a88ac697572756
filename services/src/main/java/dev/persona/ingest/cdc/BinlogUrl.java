package dev.persona.ingest.cdc;

import dev.persona.config.SourceConfig;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parts of a {@code jdbc:mysql://} URL that Debezium's MySQL connector takes one by one:
 * host, port (3306 by default), database, and the user and password given as {@code ?user=&password=} or
 * {@code user:password@}.
 */
record BinlogUrl(String host, int port, String database, String user, String password) {
    private static final Pattern URL = Pattern.compile(
            "^jdbc:(?:mysql|mariadb)://(?:([^:@/]+)(?::([^@/]*))?@)?([^:/?,]+)(?::(\\d+))?(?:/([^?;]*))?(?:[?;](.*))?$");

    /** @throws IllegalArgumentException naming the scheme (never the URL) when it is not one Persona can split */
    static BinlogUrl parse(final String url) {
        final Matcher m = URL.matcher(url.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("a '" + SourceConfig.scheme(url) + "' URL that is not jdbc:mysql://host[:port]/database?user=...");
        }
        String user = m.group(1) == null ? null : decode(m.group(1));
        String password = m.group(2) == null ? "" : decode(m.group(2));
        if (m.group(6) != null) {
            for (final String parameter : m.group(6).split("[&;]")) {
                final int eq = parameter.indexOf('=');
                if (eq <= 0) {
                    continue;
                }
                final String name = parameter.substring(0, eq);
                final String value = decode(parameter.substring(eq + 1));
                if (name.equalsIgnoreCase("user")) {
                    user = value;
                } else if (name.equalsIgnoreCase("password")) {
                    password = value;
                }
            }
        }
        return new BinlogUrl(m.group(3), m.group(4) == null ? 3306 : Integer.parseInt(m.group(4)), m.group(5) == null ? "" : m.group(5),
                user == null ? "root" : user, password);
    }

    private static String decode(final String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "BinlogUrl[" + host + ":" + port + "/" + database + " as " + user + "]";
    }
}
