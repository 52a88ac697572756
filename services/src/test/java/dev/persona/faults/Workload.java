package dev.persona.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.topology.Json;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes continuously through all three source types of collection {@code people}, and knows what the sources say.
 * <ul>
 *   <li>CDC: table {@code people} in PostgreSQL (name, email, n), through sync {@code cdc};</li>
 *   <li>query sync {@code model}: table {@code accounts} in DuckDB (tier, n), every 2 s;</li>
 *   <li>query sync {@code plans}: table {@code plans} in a private MariaDB (plan, n), every 2 s;</li>
 *   <li>CDC sync {@code badges}: table {@code badges} in the same MariaDB (badge, n), from its binary log;</li>
 *   <li>topic sync {@code events}: envelopes on topic {@code fault-events} (last_event, event_n), full rows, partial
 *       updates and deletes, each sent until acknowledged.</li>
 * </ul>
 * Base keys 1..{@value #BASE} are held by all three and updated throughout, never deleted: a 404 for one is a wrong
 * answer. Each writer also inserts keys of its own range, written once and never changed (so a lost write cannot
 * hide behind a later one), and deletes a few of them again (those must answer 404). Every sync clears only its own
 * fields on a delete, so what a record must hold follows from the sources' final state alone.
 */
final class Workload implements AutoCloseable {
    static final int BASE = 60;
    static final String TOPIC = "fault-events";
    private static final long CDC_FIRST = 10_000;
    private static final long MODEL_FIRST = 20_000;
    private static final long TOPIC_FIRST = 30_000;
    private static final long MARIA_FIRST = 40_000;
    private static final long BADGE_FIRST = 50_000;

    private final String postgres;
    private final String duckdb;
    private final String mariadb;
    private final KafkaProducer<String, byte[]> producer;
    private final Map<Long, ObjectNode> topicRows = new ConcurrentHashMap<>();
    private final ConcurrentSkipListSet<Long> keys = new ConcurrentSkipListSet<>();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong sequence = new AtomicLong(1);
    private final AtomicBoolean running = new AtomicBoolean();
    private final List<Thread> writers = new ArrayList<>();
    private final Random random = new Random(20);
    private long cdcNext = CDC_FIRST;
    private long modelNext = MODEL_FIRST;
    private long topicNext = TOPIC_FIRST;
    private long mariaNext = MARIA_FIRST;
    private long badgeNext = BADGE_FIRST;

    Workload(final String postgres, final String duckdb, final String mariadb, final String bootstrapServers) {
        this.postgres = postgres;
        this.duckdb = duckdb;
        this.mariadb = mariadb;
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Duration.ofMinutes(10).toMillis(),
                ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) Duration.ofMinutes(10).toMillis()), new StringSerializer(), new ByteArraySerializer());
    }

    /** Creates the tables and writes the base keys through every source. */
    void seed() throws SQLException {
        sql(postgres, "drop table if exists people", "create table people (id int primary key, name text, email text, n int)");
        sql(duckdb, "drop table if exists accounts", "create table accounts (id integer primary key, tier varchar, n integer)");
        sql(mariadb, "drop table if exists plans", "create table plans (id int primary key, plan varchar(64), n int)");
        sql(mariadb, "drop table if exists badges", "create table badges (id int primary key, badge varchar(64), n int)");
        for (long id = 1; id <= BASE; id++) {
            sql(postgres, "insert into people values (" + id + ", 'name-" + id + "', 'p" + id + "@example.com', 0)");
            sql(duckdb, "insert into accounts values (" + id + ", 'tier-" + id + "', 0)");
            sql(mariadb, "insert into plans values (" + id + ", 'plan-" + id + "', 0)");
            sql(mariadb, "insert into badges values (" + id + ", 'badge-" + id + "', 0)");
            send(id, row(id).put("last_event", "seed").put("event_n", 0));
            keys.add(id);
        }
    }

    /** Starts the writers: CDC and topic every 40 ms, the warehouses every 150 ms. */
    void start() {
        running.set(true);
        writers.add(writer("cdc-writer", 40, this::writeCdc));
        writers.add(writer("model-writer", 150, this::writeModel));
        writers.add(writer("maria-writer", 150, this::writeMaria));
        writers.add(writer("badge-writer", 60, this::writeBadge));
        writers.add(writer("topic-writer", 40, this::writeTopic));
        writers.forEach(Thread::start);
    }

    /** Stops the writers, each after its write in progress (a topic row: once acknowledged). */
    void quiesce() throws InterruptedException {
        running.set(false);
        for (final Thread writer : writers) {
            writer.join(TimeUnit.MINUTES.toMillis(11));
        }
        writers.clear();
    }

    /** Writes done so far, all sources. */
    long written() {
        return written.get();
    }

    /** Writes a source refused so far (down, or busy), all sources. */
    long refused() {
        return refused.get();
    }

    /** Every key the workload has used. */
    List<Long> keys() {
        return List.copyOf(keys);
    }

    private Thread writer(final String name, final long everyMs, final Step step) {
        final Thread thread = new Thread(() -> {
            while (running.get()) {
                try {
                    step.run();
                } catch (final SQLException e) {
                    // The source is down or busy (PostgreSQL restarting, DuckDB's file lock): the write did not happen; next tick.
                    refused.incrementAndGet();
                } catch (final RuntimeException e) {
                    refused.incrementAndGet();
                    System.err.println(name + ": " + e);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(everyMs));
            }
        }, name);
        thread.setDaemon(true);
        return thread;
    }

    private void writeCdc() throws SQLException {
        final int action = random.nextInt(10);
        if (action < 5) {
            // The id is used up before the insert: a commit whose answer was lost (PostgreSQL killed) may still count.
            final long id = cdcNext++;
            keys.add(id);
            sql(postgres, "insert into people values (" + id + ", 'name-" + id + "', 'p" + id + "@example.com', 1)");
        } else if (action < 9) {
            final long id = 1 + random.nextInt(BASE);
            sql(postgres, "update people set n = n + 1, name = 'name-" + id + "-" + sequence.incrementAndGet() + "' where id = " + id);
        } else if (cdcNext > CDC_FIRST + 10) {
            final long id = CDC_FIRST + random.nextInt((int) (cdcNext - CDC_FIRST - 10));
            sql(postgres, "delete from people where id = " + id);
        }
        written.incrementAndGet();
    }

    private void writeModel() throws SQLException {
        final int action = random.nextInt(10);
        if (action < 5) {
            final long id = modelNext++;
            keys.add(id);
            sql(duckdb, "insert into accounts values (" + id + ", 'tier-" + id + "', 1)");
        } else if (action < 9) {
            final long id = 1 + random.nextInt(BASE);
            sql(duckdb, "update accounts set n = n + 1, tier = 'tier-" + id + "-" + sequence.incrementAndGet() + "' where id = " + id);
        } else if (modelNext > MODEL_FIRST + 10) {
            sql(duckdb, "delete from accounts where id = " + (MODEL_FIRST + random.nextInt((int) (modelNext - MODEL_FIRST - 10))));
        }
        written.incrementAndGet();
    }

    private void writeMaria() throws SQLException {
        final int action = random.nextInt(10);
        if (action < 5) {
            // Used up before the insert, as CDC's: a commit whose answer was lost (MariaDB killed) may still count.
            final long id = mariaNext++;
            keys.add(id);
            sql(mariadb, "insert into plans values (" + id + ", 'plan-" + id + "', 1)");
        } else if (action < 9) {
            final long id = 1 + random.nextInt(BASE);
            sql(mariadb, "update plans set n = n + 1, plan = 'plan-" + id + "-" + sequence.incrementAndGet() + "' where id = " + id);
        } else if (mariaNext > MARIA_FIRST + 10) {
            sql(mariadb, "delete from plans where id = " + (MARIA_FIRST + random.nextInt((int) (mariaNext - MARIA_FIRST - 10))));
        }
        written.incrementAndGet();
    }

    /** MariaDB CDC: single statements, and now and then a transaction of three, as an application writes. */
    private void writeBadge() throws SQLException {
        final int action = random.nextInt(10);
        if (action < 4) {
            // Used up before the insert, as CDC's: a commit whose answer was lost (MariaDB killed) may still count.
            final long id = badgeNext++;
            keys.add(id);
            sql(mariadb, "insert into badges values (" + id + ", 'badge-" + id + "', 1)");
        } else if (action < 6) {
            final long id = badgeNext++;
            keys.add(id);
            final long base = 1 + random.nextInt(BASE);
            sql(mariadb, "start transaction", "insert into badges values (" + id + ", 'badge-" + id + "', 1)",
                    "update badges set n = n + 1, badge = 'badge-" + base + "-" + sequence.incrementAndGet() + "' where id = " + base,
                    "update badges set n = n + 1 where id = " + id, "commit");
        } else if (action < 9) {
            final long id = 1 + random.nextInt(BASE);
            sql(mariadb, "update badges set n = n + 1, badge = 'badge-" + id + "-" + sequence.incrementAndGet() + "' where id = " + id);
        } else if (badgeNext > BADGE_FIRST + 10) {
            sql(mariadb, "delete from badges where id = " + (BADGE_FIRST + random.nextInt((int) (badgeNext - BADGE_FIRST - 10))));
        }
        written.incrementAndGet();
    }

    private void writeTopic() {
        final int action = random.nextInt(10);
        if (action < 5) {
            final long id = topicNext;
            send(id, row(id).put("last_event", "event-" + id).put("event_n", 1));
            topicNext++;
            keys.add(id);
        } else if (action < 9) {
            final long id = 1 + random.nextInt(BASE);
            // A partial update: only event_n; last_event stays as it was.
            send(id, row(id).put("event_n", sequence.incrementAndGet()));
        } else if (topicNext > TOPIC_FIRST + 10) {
            send(TOPIC_FIRST + random.nextInt((int) (topicNext - TOPIC_FIRST - 10)), null);
        }
        written.incrementAndGet();
    }

    private static ObjectNode row(final long id) {
        return Json.mapper().createObjectNode().put("id", id);
    }

    /** Sends an upsert (or a delete, for a null row) until Kafka acknowledges it; the model follows the acknowledged log. */
    private void send(final long id, final ObjectNode row) {
        final ObjectNode envelope = Json.mapper().createObjectNode().put("op", row == null ? "delete" : "upsert")
                .put("version", sequence.incrementAndGet());
        envelope.set("row", row == null ? row(id) : row);
        final byte[] value = envelope.toString().getBytes(StandardCharsets.UTF_8);
        while (true) {
            try {
                producer.send(new ProducerRecord<>(TOPIC, Long.toString(id), value)).get();
                break;
            } catch (final Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
            }
        }
        if (row == null) {
            topicRows.remove(id);
        } else {
            topicRows.merge(id, row.deepCopy(), (old, partial) -> {
                final ObjectNode merged = old.deepCopy();
                merged.setAll(partial);
                return merged;
            });
        }
    }

    /** What each key's record must be, from the sources' state now: absent keys map to null (404). */
    Map<Long, JsonNode> expected() throws SQLException {
        final Map<Long, ObjectNode> records = new TreeMap<>();
        keys.forEach(id -> records.put(id, null));
        query(postgres, "select id, name, email, n from people", result -> record(records, result.getLong(1))
                .put("name", result.getString(2)).put("email", result.getString(3)).put("cdc_n", result.getInt(4)));
        query(duckdb, "select id, tier, n from accounts", result -> record(records, result.getLong(1))
                .put("tier", result.getString(2)).put("model_n", result.getInt(3)));
        query(mariadb, "select id, plan, n from plans", result -> record(records, result.getLong(1))
                .put("plan", result.getString(2)).put("plan_n", result.getInt(3)));
        query(mariadb, "select id, badge, n from badges", result -> record(records, result.getLong(1))
                .put("badge", result.getString(2)).put("badge_n", result.getInt(3)));
        topicRows.forEach((id, row) -> {
            final ObjectNode record = record(records, id);
            if (row.has("last_event")) {
                record.set("last_event", row.get("last_event"));
            }
            if (row.has("event_n")) {
                record.set("event_n", row.get("event_n"));
            }
        });
        final Map<Long, JsonNode> expected = new TreeMap<>();
        records.forEach((id, record) -> expected.put(id, record == null ? null : reparsed(record)));
        return expected;
    }

    /** The record of a workload key; rows of other ids (the poison scenario's) are not the workload's and are left out. */
    private ObjectNode record(final Map<Long, ObjectNode> records, final long id) {
        if (!keys.contains(id)) {
            return Json.mapper().createObjectNode();
        }
        return records.compute(id, (k, v) -> v != null ? v : Json.mapper().createObjectNode().put("id", id));
    }

    /** The same JSON as the API's answer is read back: integer nodes of the smallest kind. */
    static JsonNode reparsed(final JsonNode node) {
        try {
            return Json.mapper().readTree(node.toString());
        } catch (final java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sql(final String url, final String... statements) throws SQLException {
        try (Connection db = DriverManager.getConnection(url); Statement statement = db.createStatement()) {
            for (final String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    /**
     * Reads every row of {@code sql}. DuckDB's file takes one process at a time: a query sync's run holds it for a
     * moment every 2 s, and on a busy machine for most of each 2 s, so a read that meets the lock is tried again for
     * up to 10 s rather than failing the comparison.
     */
    private static void query(final String url, final String sql, final RowReader reader) throws SQLException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Connection db = DriverManager.getConnection(url); Statement statement = db.createStatement(); ResultSet result = statement.executeQuery(sql)) {
                while (result.next()) {
                    reader.read(result);
                }
                return;
            } catch (final SQLException e) {
                if (!String.valueOf(e.getMessage()).contains("Could not set lock") || System.nanoTime() > deadline) {
                    throw e;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        quiesce();
        producer.close(Duration.ofSeconds(5));
    }

    @FunctionalInterface
    private interface Step {
        void run() throws SQLException;
    }

    @FunctionalInterface
    private interface RowReader {
        void read(ResultSet result) throws SQLException;
    }
}
