package dev.persona.topology;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A MySQL binary log position as a version: it grows with the file, the position and the row, and only then. */
class BinlogVersionTest {
    private static Long version(final String source) throws Exception {
        return ChangeRowParser.binlogVersion(Json.mapper().readTree(source));
    }

    @Test
    void shouldGrowWithTheFileThenThePositionThenTheRow() throws Exception {
        final long early = version("{\"file\":\"binlog.000007\",\"pos\":4000000000,\"row\":3}");
        final long nextFile = version("{\"file\":\"binlog.000008\",\"pos\":4,\"row\":0}");
        final long later = version("{\"file\":\"binlog.000008\",\"pos\":120,\"row\":0}");
        final long nextRow = version("{\"file\":\"binlog.000008\",\"pos\":120,\"row\":1}");
        assertTrue(early < nextFile && nextFile < later && later < nextRow);
        assertTrue(nextRow > 0);
    }

    @Test
    void shouldHaveNoVersionWithoutAPosition() throws Exception {
        assertNull(version("{\"file\":\"\",\"pos\":4}"));
        assertNull(version("{\"connector\":\"mysql\"}"));
    }
}
