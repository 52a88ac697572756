package dev.persona.routing;

import dev.persona.topology.LiveStores;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The lookup's fast path reads the store a processor registered. A task found corrupted is wiped and revived with
 * the same store object, which then restores from nothing: an absent key there is no 404 until Streams says the
 * partition is queryable.
 */
class StreamsStoreReaderTest {
    @TempDir
    Path stateDir;

    /** A store that holds exactly {@code records}, as a registered handle would. */
    @SuppressWarnings("unchecked")
    private static KeyValueStore<String, byte[]> holding(final Map<String, byte[]> records) {
        return (KeyValueStore<String, byte[]>) Proxy.newProxyInstance(StreamsStoreReaderTest.class.getClassLoader(),
                new Class<?>[] {KeyValueStore.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "get" -> records.get((String) args[0]);
                    case "name" -> "records-people";
                    case "isOpen" -> true;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    /** Streams that are not running: no partition of theirs is queryable. */
    private KafkaStreams notRunning() {
        final StreamsBuilder builder = new StreamsBuilder();
        builder.stream("in").to("out");
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "local-store-reader-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        return new KafkaStreams(builder.build(), props);
    }

    @Test
    void shouldNotAnswerAbsentFromARegisteredStoreThatStreamsCannotVouchFor() {
        try (KafkaStreams streams = notRunning()) {
            final LiveStores live = new LiveStores();
            live.opened("records-people", 5, holding(Map.of("31", "{}".getBytes(StandardCharsets.UTF_8))));
            final LocalStoreReader reader = new StreamsStoreReader(streams, live, (store, partition) -> false);
            assertSame(StoredValue.NOT_HERE, reader.readLive("records-people", "32", 5), "no 404 from a store that may be restoring: the owner path decides");
            assertInstanceOf(StoredValue.Found.class, reader.readLive("records-people", "31", 5), "what it holds is answered at once");
            assertSame(StoredValue.NOT_HERE, reader.readLive("records-people", "32", 4), "a partition nobody registered");
        }
    }

    @Test
    void shouldNotAnswerFromARegisteredStoreWhileItRestores() {
        try (KafkaStreams streams = notRunning()) {
            final LiveStores live = new LiveStores();
            live.opened("records-people", 5, holding(Map.of("31", "{\"version\":\"older\"}".getBytes(StandardCharsets.UTF_8))));
            final LocalStoreReader reader = new StreamsStoreReader(streams, live, (store, partition) -> partition == 5);
            assertSame(StoredValue.NOT_HERE, reader.readLive("records-people", "31", 5), "what a restoring store holds may be an older state");
        }
    }
}
