package dev.persona.ingest.cdc;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the MySQL preflight says of each setting and grant, and how a MySQL URL is split for Debezium. */
class BinlogPreflightTest {

    @Test
    void shouldNameTheFixForEachBinaryLogSetting() {
        assertTrue(BinlogPreflight.binlogProblem("OFF", "ROW", "FULL").orElseThrow().contains("log_bin=ON"));
        assertTrue(BinlogPreflight.binlogProblem("ON", "MIXED", "FULL").orElseThrow().contains("SET GLOBAL binlog_format = 'ROW'"));
        assertTrue(BinlogPreflight.binlogProblem("ON", "ROW", "MINIMAL").orElseThrow().contains("SET GLOBAL binlog_row_image = 'FULL'"));
        assertEquals(Optional.empty(), BinlogPreflight.binlogProblem("ON", "ROW", "FULL"));
    }

    @Test
    void shouldAcceptEitherGrantSpellingAndNameWhatIsMissing() {
        assertEquals(Optional.empty(), BinlogPreflight.grantsProblem("cdc@%", List.of("GRANT RELOAD, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `cdc`@`%`")));
        assertEquals(Optional.empty(), BinlogPreflight.grantsProblem("cdc@%", List.of("GRANT RELOAD, BINLOG MONITOR, REPLICATION SLAVE ON *.* TO `cdc`@`%`")));
        assertEquals(Optional.empty(), BinlogPreflight.grantsProblem("root@localhost", List.of("GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost`")));
        final String missing = BinlogPreflight.grantsProblem("reader@%", List.of("GRANT SELECT ON `shop`.* TO `reader`@`%`")).orElseThrow();
        assertTrue(missing.contains("lacks REPLICATION SLAVE and REPLICATION CLIENT")
                && missing.contains("GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'reader'@'%';"), missing);
    }

    @Test
    void shouldAskForALockPrivilegeForTheSnapshot() {
        final String missing = BinlogPreflight.grantsProblem("cdc@%", List.of("GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `cdc`@`%`",
                "GRANT SELECT ON `shop`.* TO `cdc`@`%`")).orElseThrow();
        assertTrue(missing.contains("lacks RELOAD and LOCK TABLES") && missing.contains("GRANT RELOAD ON *.* TO 'cdc'@'%';"), missing);
        assertEquals(Optional.empty(), BinlogPreflight.grantsProblem("cdc@%", List.of("GRANT RELOAD, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `cdc`@`%`")));
        assertEquals(Optional.empty(), BinlogPreflight.grantsProblem("cdc@%", List.of("GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `cdc`@`%`",
                "GRANT SELECT, LOCK TABLES ON `shop`.* TO `cdc`@`%`")));
    }

    @Test
    void shouldKnowMariaDbByItsVersion() {
        assertTrue(BinlogJdbcDriver.isMariaDb("10.11.19-MariaDB-0+deb12u1-log"));
        assertTrue(!BinlogJdbcDriver.isMariaDb("8.4.3"));
    }

    @Test
    void shouldSplitAMySqlUrlInEitherCredentialForm() {
        assertEquals(new BinlogUrl("db.example.com", 3307, "shop", "cdc", "p@ss&word"),
                BinlogUrl.parse("jdbc:mysql://db.example.com:3307/shop?user=cdc&password=p%40ss%26word&useSSL=true"));
        assertEquals(new BinlogUrl("db", 3306, "shop", "cdc", "secret"), BinlogUrl.parse("jdbc:mysql://cdc:secret@db/shop"));
        assertTrue(BinlogUrl.parse("jdbc:mysql://cdc:secret@db/shop").toString().indexOf("secret") < 0, "its text holds no password");
    }
}
