package dev.persona.ingest.query;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.testing.TempDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The streamed run diff over a real DuckDB model: what is sent, what is deleted, what is counted unchanged. */
class ModelDiffTest {
    private Path dir;
    private String url;
    private final RowHashes hashes = new RowHashes();

    @BeforeEach
    void createWarehouse() throws Exception {
        dir = Files.createTempDirectory("persona-diff-test");
        url = "jdbc:duckdb:" + dir.resolve("w.duckdb");
        sql("create table people (id bigint, name varchar, score double, tags varchar[], extra json, seen timestamp)");
    }

    @AfterEach
    void deleteWarehouse() {
        TempDirs.delete(dir);
    }

    private void sql(final String statement) throws SQLException {
        try (Connection db = DriverManager.getConnection(url); Statement s = db.createStatement()) {
            s.execute(statement);
        }
    }

    /** One run: upserted rows by key, then deleted keys. */
    private record Run(Map<String, ObjectNode> upserts, List<String> deletes, ModelDiff.Counts counts) {
    }

    private Run run(final String model, final boolean full) throws SQLException {
        final Map<String, ObjectNode> upserts = new LinkedHashMap<>();
        final List<String> deletes = new ArrayList<>();
        try (ModelRows rows = ModelRows.open(url, model, "id", new AtomicReference<>(), java.time.Duration.ofMinutes(1))) {
            final ModelDiff.Counts counts = ModelDiff.run(rows, hashes, full, new ModelDiff.Changes() {
                @Override
                public void upsert(final String key, final ObjectNode row, final long hash) {
                    upserts.put(key, row);
                }

                @Override
                public void delete(final String key) {
                    deletes.add(key);
                }
            });
            return new Run(upserts, deletes, counts);
        }
    }

    private Run run() throws SQLException {
        return run("select * from people", false);
    }

    @Test
    void shouldSendNewAndChangedRowsDeleteRowsThatLeftAndCountTheRest() throws Exception {
        sql("insert into people values (1, 'Ann', 1.5, ['a'], '{\"x\": 1}', timestamp '2024-01-01 10:00:00'), "
                + "(2, 'Bob', 2, null, null, null), (3, 'Cy', 3, [], '[]', null)");
        final Run first = run();
        assertEquals(List.of("1", "2", "3"), List.copyOf(first.upserts().keySet()));
        assertEquals("{\"id\":1,\"name\":\"Ann\",\"score\":1.5,\"tags\":[\"a\"],\"extra\":{\"x\":1},\"seen\":\"2024-01-01T10:00:00Z\"}",
                first.upserts().get("1").toString());

        sql("update people set name = 'Bobby' where id = 2");
        sql("delete from people where id = 3");
        sql("insert into people values (4, 'Dee', 4, null, null, null)");
        final Run second = run();
        assertEquals(List.of("2", "4"), List.copyOf(second.upserts().keySet()));
        assertEquals("Bobby", second.upserts().get("2").path("name").asText());
        assertEquals(List.of("3"), second.deletes());
        assertEquals(new ModelDiff.Counts(3, 2, 1, 1), second.counts());

        final Run third = run();
        assertTrue(third.upserts().isEmpty() && third.deletes().isEmpty());
        assertEquals(3, third.counts().unchanged());
    }

    @Test
    void shouldSeeAChangeInAnyColumnOfAnyType() throws Exception {
        sql("insert into people values (1, 'Ann', 1.5, ['a'], '{\"x\": 1}', timestamp '2024-01-01 10:00:00')");
        run();
        for (final String change : List.of("score = 1.25", "tags = ['a', 'b']", "extra = '{\"x\": 2}'", "seen = timestamp '2024-01-01 10:00:01'",
                "name = 'Ann '", "name = null", "tags = null")) {
            sql("update people set " + change);
            assertEquals(1, run().counts().upserts(), change);
            assertEquals(1, run().counts().unchanged(), "unchanged again after " + change);
        }
    }

    @Test
    void shouldSendEveryRowOfAFullRunButStillDeleteWhatLeft() throws Exception {
        sql("insert into people values (1, 'Ann', 1, null, null, null), (9, 'Gone', 1, null, null, null)");
        run();
        sql("delete from people where id = 9");
        final Run full = run("select * from people", true);
        assertEquals(List.of("1"), List.copyOf(full.upserts().keySet()));
        assertEquals(List.of("9"), full.deletes());
    }

    @Test
    void shouldSendEveryRowWhenAColumnIsRenamedThoughNoValueChanged() throws Exception {
        sql("insert into people values (1, 'Ann', 1, null, null, null)");
        run("select id, name from people", false);
        assertEquals(1, run("select id, name as full_name from people", false).counts().upserts());
    }

    @Test
    void shouldFailARunWhoseModelHoldsAKeyTwiceOrANullKey() throws Exception {
        sql("insert into people values (1, 'Ann', 1, null, null, null), (1, 'Ann again', 1, null, null, null)");
        assertTrue(assertThrows(RunFailure.class, this::run).getMessage().contains("primary key 'id' = '1' appears twice"));
        sql("delete from people");
        sql("insert into people values (null, 'Nobody', 1, null, null, null)");
        assertTrue(assertThrows(RunFailure.class, this::run).getMessage().contains("is null"));
        assertTrue(assertThrows(RunFailure.class, () -> run("select name from people", false)).getMessage().contains("no column 'id'"));
    }
}
