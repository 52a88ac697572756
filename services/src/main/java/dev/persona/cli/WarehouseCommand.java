package dev.persona.cli;

import dev.persona.demo.DemoConfig;
import dev.persona.runtime.PersonaHome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code persona warehouse SQL}: runs SQL on a DuckDB warehouse, by default the demo's. */
@Command(name = "warehouse", description = "Run SQL on a DuckDB warehouse file (default: the demo's), e.g. to edit demo data.")
final class WarehouseCommand implements Callable<Integer> {
    @Parameters(paramLabel = "SQL", description = "the statement")
    String sql;

    @Option(names = "--file", description = "the DuckDB file (default: $PERSONA_HOME/demo/warehouse.duckdb)")
    Path file;

    @Override
    public Integer call() throws Exception {
        final Path warehouse = file != null ? file : DemoConfig.warehouse(PersonaHome.resolve());
        if (!Files.exists(warehouse)) {
            throw new CommandFailure("no warehouse at " + warehouse + ": run ./persona demo first, or pass --file");
        }
        final long deadline = System.nanoTime() + 15_000_000_000L;
        while (true) {
            try (Connection db = DriverManager.getConnection("jdbc:duckdb:" + warehouse); Statement statement = db.createStatement()) {
                if (statement.execute(sql)) {
                    print(statement.getResultSet());
                } else {
                    System.out.println(statement.getUpdateCount() + " row(s) changed");
                }
                return 0;
            } catch (final SQLException e) {
                // A sync run reads the file for a moment; DuckDB lets one process write at a time.
                if (!String.valueOf(e.getMessage()).contains("lock") || System.nanoTime() > deadline) {
                    throw new CommandFailure(e.getMessage());
                }
                Thread.sleep(200);
            }
        }
    }

    private static void print(final ResultSet result) throws SQLException {
        final ResultSetMetaData meta = result.getMetaData();
        final List<String[]> rows = new ArrayList<>();
        final String[] header = new String[meta.getColumnCount()];
        for (int c = 0; c < header.length; c++) {
            header[c] = meta.getColumnLabel(c + 1);
        }
        rows.add(header);
        while (result.next()) {
            final String[] row = new String[header.length];
            for (int c = 0; c < row.length; c++) {
                row[c] = String.valueOf(result.getObject(c + 1));
            }
            rows.add(row);
        }
        final int[] widths = new int[header.length];
        rows.forEach(r -> {
            for (int c = 0; c < r.length; c++) {
                widths[c] = Math.min(60, Math.max(widths[c], r[c].length()));
            }
        });
        for (final String[] row : rows) {
            final StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                final String cell = row[c].length() > 60 ? row[c].substring(0, 57) + "..." : row[c];
                line.append(String.format("%-" + widths[c] + "s  ", cell));
            }
            System.out.println(line.toString().stripTrailing());
        }
    }
}
