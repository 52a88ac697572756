package dev.persona.ingest.cdc;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which skipped DDL statements fail a sync: those naming its captured table, as a word of its own. */
class UnparsedDdlWatchTest {

    @Test
    void shouldKnowTheCapturedTableQuotedOrNotAndNoOtherTable() {
        final List<String> heard = new ArrayList<>();
        final UnparsedDdlWatch watch = UnparsedDdlWatch.start("persona_members", "shop.members", heard::add);
        try {
            assertTrue(watch.mentionsTable("alter table members add column badge uuid"));
            assertTrue(watch.mentionsTable("ALTER TABLE `shop`.`members` ADD badge uuid"));
            assertFalse(watch.mentionsTable("create table members_archive (id int, t uuid)"), "another table that starts alike");
            assertFalse(watch.mentionsTable("create table old_members (t uuid)"));
            assertEquals(List.of(), heard);
        } finally {
            watch.stop();
        }
    }
}
