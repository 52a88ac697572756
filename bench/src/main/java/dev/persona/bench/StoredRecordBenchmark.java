package dev.persona.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.topology.Json;
import dev.persona.topology.RecordMeta;
import dev.persona.topology.StoredRecord;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What the stored-record layout saves on every lookup: answering with a slice of the stored bytes, against parsing
 * the record and writing it again, for the Hightouch page's example record (~700 bytes). Prints ns per lookup.
 * Usage: {@code bench/run stored}.
 */
public final class StoredRecordBenchmark {
    private static final String RECORD = """
            {"user_id":12345,"full_name":"Jane Doe","lifetime_value":1492.18,"churn_risk":0.04,"90_day_summary":{"num_songs_listened":813,
            "top_genres":["house","techno","ambient"],"top_artists":["deadmau5","Marsh","Enamour"]},"recommendations":{"concerts":[
            {"artist":"Aphex Twin","location":"San Francisco, CA","event_date":"2023-01-31"},{"artist":"Sultan + Shepard",
            "location":"San Francisco, CA","event_date":"2023-02-25"}],"upcoming_album_release":{"title":"Universal Language",
            "artist":"Simon Doty","label":"Anjunadeep","release_date":"2023-04-28"}},"_audiences":{"top_concert_ticket_purchasers":true,
            "attended_concert_last_month":false,"electronic_music_listeners":true}}""".replace("\n", "");

    private StoredRecordBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final byte[] body = RECORD.getBytes(StandardCharsets.UTF_8);
        final byte[] stored = StoredRecord.encode(body, new RecordMeta(3, 1_700_000_000_000L, Map.of(), Map.of()));
        final int rounds = 2_000_000;
        long sink = 0;
        for (int pass = 0; pass < 3; pass++) {
            long start = System.nanoTime();
            for (int i = 0; i < rounds; i++) {
                sink += StoredRecord.body(stored).length;
            }
            final double slice = (System.nanoTime() - start) / (double) rounds;
            start = System.nanoTime();
            for (int i = 0; i < rounds / 10; i++) {
                final JsonNode tree = Json.mapper().readTree(stored, StoredRecord.BODY_OFFSET, StoredRecord.bodyLength(stored));
                sink += Json.mapper().writeValueAsBytes(tree).length;
            }
            final double rebuild = (System.nanoTime() - start) / (double) (rounds / 10);
            System.out.printf("pass %d: %d-byte record: slice %.0f ns/lookup, parse + re-serialise %.0f ns/lookup (%.0fx)%n",
                    pass + 1, body.length, slice, rebuild, rebuild / slice);
        }
        if (sink == 42) {
            System.out.println();
        }
    }
}
