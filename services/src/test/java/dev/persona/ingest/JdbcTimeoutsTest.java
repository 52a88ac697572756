package dev.persona.ingest;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each driver's limits in its own unit, and a limit the URL sets kept as the user wrote it. */
class JdbcTimeoutsTest {
    private static final Duration CONNECT = Duration.ofSeconds(15);
    private static final Duration READ = Duration.ofMinutes(30);

    @Test
    void shouldGivePostgresSecondsAndTheOthersMilliseconds() {
        final Properties pg = JdbcTimeouts.limited("jdbc:postgresql://db/app", new Properties(), CONNECT, READ);
        assertEquals("15", pg.getProperty("connectTimeout"));
        assertEquals("15", pg.getProperty("loginTimeout"));
        assertEquals("1800", pg.getProperty("socketTimeout"));
        final Properties maria = JdbcTimeouts.limited("jdbc:mariadb://db/app", new Properties(), CONNECT, READ);
        assertEquals("15000", maria.getProperty("connectTimeout"));
        assertEquals("1800000", maria.getProperty("socketTimeout"));
        assertTrue(JdbcTimeouts.limited("jdbc:snowflake://acme/", new Properties(), CONNECT, READ).isEmpty(), "unknown drivers are left alone");
    }

    @Test
    void shouldKeepALimitTheUrlSets() {
        final Properties pg = JdbcTimeouts.limited("jdbc:postgresql://db/app?socketTimeout=5", new Properties(), CONNECT, READ);
        assertFalse(pg.containsKey("socketTimeout"));
        assertEquals("15", pg.getProperty("connectTimeout"));
        final Properties mysql = JdbcTimeouts.limited("jdbc:mysql://db/app?connectTimeout=2000", new Properties(), CONNECT, READ);
        assertFalse(mysql.containsKey("connectTimeout"));
        assertEquals("1800000", mysql.getProperty("socketTimeout"));
    }
}
