package dev.persona.bench.suite;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.Locale;
import java.util.Properties;

/**
 * The benchmark's customers, shaped like the Hightouch page's example record (~700 bytes of nested JSON once
 * merged): a {@code profiles} sync owns identity, value and audiences; an {@code activity} sync owns listening
 * summary and recommendations. Rows are a pure function of the id, so the peer and the load scripts agree.
 */
final class Customers {
    static final String[] GENRES = {"house", "techno", "ambient", "jazz", "soul", "drum and bass", "disco", "indie"};
    static final String[] ARTISTS = {"deadmau5", "Marsh", "Enamour", "Aphex Twin", "Sultan + Shepard", "Simon Doty", "Bonobo", "Jon Hopkins"};
    static final String[] CITIES = {"San Francisco, CA", "Austin, TX", "New York, NY", "Chicago, IL", "Seattle, WA"};

    private Customers() {
    }

    /** The secondary identifier of customer {@code id}; the load scripts compute the same. */
    static String email(final long id) {
        return "customer-" + id + "@example.com";
    }

    /** The profiles sync's row: identity, value, audiences. {@code round} varies the values of later updates. */
    static String profileRow(final long id, final int round) {
        final double ltv = (id * 7919 % 500_000) / 100.0 + round;
        return String.format(Locale.ROOT, "{\"user_id\":%d,\"email\":\"%s\",\"full_name\":\"Customer %d\",\"lifetime_value\":%.2f,"
                        + "\"churn_risk\":%.2f,\"_audiences\":{\"top_concert_ticket_purchasers\":%b,\"attended_concert_last_month\":%b,"
                        + "\"electronic_music_listeners\":%b}}",
                id, email(id), id, ltv, (id % 100) / 100.0, id % 3 == 0, id % 5 == 0, (id + round) % 2 == 0);
    }

    /** The activity sync's row: the 90-day summary and recommendations. */
    static String activityRow(final long id, final int round) {
        final int g = (int) (id % GENRES.length);
        final int a = (int) ((id / 3) % ARTISTS.length);
        return String.format(Locale.ROOT, "{\"user_id\":%d,\"90_day_summary\":{\"num_songs_listened\":%d,\"top_genres\":[\"%s\",\"%s\",\"%s\"],"
                        + "\"top_artists\":[\"%s\",\"%s\",\"%s\"]},\"recommendations\":{\"concerts\":[{\"artist\":\"%s\",\"location\":\"%s\","
                        + "\"event_date\":\"2026-12-%02d\"},{\"artist\":\"%s\",\"location\":\"%s\",\"event_date\":\"2027-01-%02d\"}],"
                        + "\"upcoming_album_release\":{\"title\":\"Universal Language\",\"artist\":\"%s\",\"label\":\"Anjunadeep\","
                        + "\"release_date\":\"2027-04-28\"}}}",
                id, id % 1000 + round, GENRES[g], GENRES[(g + 1) % GENRES.length], GENRES[(g + 2) % GENRES.length],
                ARTISTS[a], ARTISTS[(a + 1) % ARTISTS.length], ARTISTS[(a + 2) % ARTISTS.length],
                ARTISTS[(a + 3) % ARTISTS.length], CITIES[(int) (id % CITIES.length)], 1 + id % 28,
                ARTISTS[(a + 4) % ARTISTS.length], CITIES[(int) ((id + 1) % CITIES.length)], 1 + (id + 7) % 28,
                ARTISTS[(a + 5) % ARTISTS.length]);
    }

    /** Persona's change-row envelope around a row. */
    static String envelope(final String row, final long version) {
        return "{\"op\":\"upsert\",\"row\":" + row + ",\"version\":" + version + "}";
    }

    /** A producer tuned for throughput (the rows are produced before they are measured). */
    static KafkaProducer<String, String> producer(final String bootstrap) {
        final Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        return new KafkaProducer<>(props);
    }
}
