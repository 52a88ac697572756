package dev.persona.topology;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.PersonaConfig;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The run debugger's samples: what each change of a run did to its record, a bounded number per run. */
class RunSamplesTopologyTest {
    private static final String CONFIG = """
            collections:
              - { name: customers, primaryIndex: user_id, partitions: 1 }
            syncs:
              - id: plans
                collection: customers
                source: { type: topic, topic: plans, copartitioned: true }
                primaryKey: id
                mapping: [ { from: plan }, { from: seats } ]
                onDelete: delete_record
            """;

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> plans;
    private TestOutputTopic<String, String> samples;

    @BeforeEach
    void start() {
        final PersonaConfig config = TopologyDrivers.config(CONFIG);
        driver = TopologyDrivers.start(config, "samples-test", stateDir, Instant.ofEpochMilli(0));
        plans = driver.createInputTopic("plans", new ByteArraySerializer(), new ByteArraySerializer());
        samples = driver.createOutputTopic(new TopicNames(config.kafka()).runSamples(), new StringDeserializer(), new StringDeserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private void row(final String run, final String key, final String value) {
        final RecordHeaders headers = new RecordHeaders();
        if (run != null) {
            headers.add(RunSamples.RUN_HEADER, run.getBytes(StandardCharsets.UTF_8));
        }
        plans.pipeInput(new TestRecord<>(key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8), headers, 1_000L));
    }

    private static JsonNode json(final String text) throws Exception {
        return Json.mapper().readTree(text);
    }

    @Test
    void shouldSampleWhatEachChangeOfARunDidToItsRecord() throws Exception {
        row("r1", "a", "{\"op\":\"upsert\",\"row\":{\"id\":\"a\",\"plan\":\"free\",\"seats\":1}}");
        row("r2", "a", "{\"op\":\"upsert\",\"row\":{\"id\":\"a\",\"plan\":\"gold\",\"seats\":1}}");
        row("r3", "a", null);

        final var first = samples.readRecord();
        assertEquals("r1/a", first.key());
        final JsonNode created = json(first.value());
        assertEquals("upsert", created.path("op").asText());
        assertEquals("[\"user_id\",\"plan\",\"seats\"]", created.path("changed").toString());
        assertTrue(created.path("before").isNull(), "the record did not exist: " + created);
        assertEquals("{\"user_id\":\"a\",\"plan\":\"free\",\"seats\":1}", created.path("after").toString());

        final JsonNode changed = json(samples.readRecord().value());
        assertEquals("[\"plan\"]", changed.path("changed").toString(), "only what changed: " + changed);
        assertEquals("{\"plan\":\"free\"}", changed.path("before").toString());
        assertEquals("{\"plan\":\"gold\"}", changed.path("after").toString());

        final JsonNode deleted = json(samples.readRecord().value());
        assertEquals("delete", deleted.path("op").asText());
        assertTrue(deleted.path("after").isNull(), "the record is gone: " + deleted);
        assertEquals("{\"user_id\":\"a\",\"plan\":\"gold\",\"seats\":1}", deleted.path("before").toString());
    }

    @Test
    void shouldKeepABoundedSampleOfEachRunAndNoneOfRowsWithoutARun() {
        for (int i = 0; i < RunSamples.PER_RUN + 50; i++) {
            row("big", "k" + i, "{\"op\":\"upsert\",\"row\":{\"id\":\"k" + i + "\",\"plan\":\"p\"}}");
        }
        row(null, "live", "{\"op\":\"upsert\",\"row\":{\"id\":\"live\",\"plan\":\"p\"}}");
        final List<String> keys = samples.readKeyValuesToList().stream().map(kv -> kv.key).toList();
        assertEquals(RunSamples.PER_RUN, keys.size(), "at most " + RunSamples.PER_RUN + " of a run");
        assertTrue(keys.stream().allMatch(k -> k.startsWith("big/")), "a row of no run is not sampled");
    }
}
