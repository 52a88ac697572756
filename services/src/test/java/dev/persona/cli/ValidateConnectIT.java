package dev.persona.cli;

import dev.persona.testing.MariaDbServer;
import dev.persona.testing.Ran;
import dev.persona.testing.TestKafka;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code persona validate --connect} against the private MariaDB: each sync is asked what would stop it, before
 * anything starts, and each problem is printed with its fix; a planted password never reaches the output.
 */
class ValidateConnectIT {
    @Test
    void shouldNameWhatWouldStopEachSyncWithItsFixAndNoPassword() throws Exception {
        final MariaDbServer maria = MariaDbServer.shared();
        final String table = "vc_" + TestKafka.uniqueName("t").toLowerCase();
        final String user = "validator" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
        maria.execute("create table " + table + " (id int, name varchar(64))",
                "create user '" + user + "'@'%' identified by '" + MariaDbServer.PASSWORD + "'",
                "grant select on test.* to '" + user + "'@'%'");
        final String base = "jdbc:mysql://127.0.0.1:" + maria.port() + "/test?user=" + user + "&password=";
        final String mariaUrl = "jdbc:mariadb://127.0.0.1:" + maria.port() + "/test?user=" + user + "&password=";
        final Path file = Files.createTempFile("persona-validate-connect", ".yaml");
        try {
            Files.writeString(file, """
                    collections:
                      - { name: people, primaryIndex: id }
                    syncs:
                      - id: captured
                        collection: people
                        source: { type: cdc, connection: "%1$s%3$s", table: test.%4$s }
                        primaryKey: id
                        mapping: [ { from: name } ]
                      - id: modelled
                        collection: people
                        source: { type: query, connection: "%2$s%3$s", sql: "select id, name from %4$s", schedule: every 1m }
                        primaryKey: id
                        mapping: [ { from: name, to: model_name } ]
                      - id: refused
                        collection: people
                        source: { type: query, connection: "%2$sWrong-%3$s", sql: "select id, name from %4$s", schedule: every 1m }
                        primaryKey: id
                        mapping: [ { from: name, to: refused_name } ]
                    """.formatted(base, mariaUrl, MariaDbServer.PASSWORD, table));

            final Ran offline = Ran.persona("validate", "--config", file.toString());
            assertEquals(0, offline.exit(), "without --connect nothing is reached: " + offline.err());
            assertFalse(offline.out().contains("ok"), offline.out());

            final Ran ran = Ran.persona("validate", "--config", file.toString(), "--connect");
            final String all = ran.out() + ran.err();
            assertEquals(2, ran.exit(), all);
            assertTrue(ran.out().contains("sync captured (cdc into people): user '" + user + "'@'%' may not read the binary log")
                    && ran.out().contains("Fix: GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '" + user + "'@'%';"), all);
            assertTrue(ran.out().contains("sync modelled (query into people): ok"), all);
            assertTrue(ran.out().contains("sync refused (query into people): cannot connect to the warehouse"), all);
            assertTrue(ran.err().contains("2 sync(s) of " + file + " could not start"), all);
            assertFalse(all.contains(MariaDbServer.PASSWORD), all);

            maria.execute("grant replication slave, replication client on *.* to '" + user + "'@'%'");
            final Ran replicating = Ran.persona("validate", "--config", file.toString(), "--connect");
            assertTrue(replicating.out().contains("Fix: GRANT RELOAD ON *.* TO '" + user + "'@'%';"), replicating.out());
            maria.execute("grant reload on *.* to '" + user + "'@'%'");
            final Ran granted = Ran.persona("validate", "--config", file.toString(), "--connect");
            assertTrue(granted.out().contains("sync captured (cdc into people): table test." + table + " has no primary key")
                    && granted.out().contains("ADD PRIMARY KEY (id);"), granted.out());
        } finally {
            Files.delete(file);
            maria.execute("drop user '" + user + "'@'%'", "drop table " + table);
        }
    }
}
