package dev.persona.bench.suite;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The peer: the same records in Redis (this machine's server on 6379, a database of the benchmark's own),
 * served over HTTP by webdis, the architecture of RudderStack's Activation API. Each record is stored under its
 * id and, denormalised, under its email, so a secondary lookup is one GET as well: the peer's best case.
 */
final class RedisPeer implements AutoCloseable {
    static final int DATABASE = 9;

    private final Process webdis;
    private final int port;

    private RedisPeer(final Process webdis, final int port) {
        this.webdis = webdis;
        this.port = port;
    }

    /** Loads {@code records} (id to record JSON) into a cleared database and starts webdis in front of it. */
    static RedisPeer start(final Map<Long, String> records, final Path dir, final int port, final int threads)
            throws IOException, InterruptedException {
        try (Jedis redis = new Jedis("127.0.0.1", 6379)) {
            redis.select(DATABASE);
            redis.flushDB();
            Pipeline pipeline = redis.pipelined();
            int pending = 0;
            for (final Map.Entry<Long, String> record : records.entrySet()) {
                pipeline.set("customer:" + record.getKey(), record.getValue());
                pipeline.set("email:" + Customers.email(record.getKey()), record.getValue());
                if (++pending == 1_000) {
                    pipeline.sync();
                    pending = 0;
                }
            }
            pipeline.sync();
        }
        final Path config = dir.resolve("webdis.json");
        Files.writeString(config, """
                {"redis_host": "127.0.0.1", "redis_port": 6379, "http_host": "127.0.0.1", "http_port": %d,
                 "threads": %d, "pool_size": 20, "daemonize": false, "database": %d, "verbosity": 1,
                 "logfile": "%s"}
                """.formatted(port, threads, DATABASE, dir.resolve("webdis.log")));
        final Process webdis = new ProcessBuilder("webdis", config.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("webdis.out").toFile()).start();
        awaitListening(webdis, port, dir);
        return new RedisPeer(webdis, port);
    }

    /**
     * Waits until webdis accepts connections: wrk started against a webdis still binding its port measured nothing
     * ("connection refused") on a fresh machine.
     */
    private static void awaitListening(final Process webdis, final int port, final Path dir) throws IOException, InterruptedException {
        final long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!webdis.isAlive()) {
                throw new IOException("webdis exited with " + webdis.exitValue() + ": " + Files.readString(dir.resolve("webdis.out")));
            }
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (final IOException notYet) {
                Thread.sleep(50);
            }
        }
        webdis.destroy();
        throw new IOException("webdis did not listen on 127.0.0.1:" + port + " within 20 s: " + Files.readString(dir.resolve("webdis.out")));
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        webdis.destroy();
        try (Jedis redis = new Jedis("127.0.0.1", 6379)) {
            redis.select(DATABASE);
            redis.flushDB();
        }
    }
}
