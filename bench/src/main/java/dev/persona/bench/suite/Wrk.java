package dev.persona.bench.suite;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.topology.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs wrk (a separate process, so the load generator's cost is not inside the server's JVM) with a Lua script
 * that picks random customers and prints one JSON line of figures from its {@code done} hook.
 */
final class Wrk {
    private static final String RESULT_PREFIX = "PERSONA_RESULT ";

    /** What a lookup asks for. */
    enum Kind {
        BY_ID("single, by primary key", "by id"),
        BY_EMAIL("single, by email (secondary)", "by email"),
        BATCH_BY_ID("batch of 50, by primary key", "batch of 50 by id"),
        BATCH_BY_EMAIL("batch of 50, by email", "batch of 50 by email");

        final String label;
        /** Short enough for a chart's axis. */
        final String shortLabel;

        Kind(final String label, final String shortLabel) {
            this.label = label;
            this.shortLabel = shortLabel;
        }

        boolean batch() {
            return this == BATCH_BY_ID || this == BATCH_BY_EMAIL;
        }
    }

    /** One measured run: rates per second and latencies in microseconds. */
    record Run(String target, Kind kind, long requests, double seconds, long errors, long p50, long p90, long p99, long p999, long max) {
        double rps() {
            return requests / seconds;
        }
    }

    private final Path dir;
    private final int threads;
    private final int connections;
    private final int records;
    /** Ids to pick from, one a line; null for any of 1 to {@code records}. */
    private final Path ids;

    Wrk(final Path dir, final int threads, final int connections, final int records) {
        this(dir, threads, connections, records, null);
    }

    /** @param ids a file of the ids to ask for, one a line (those one instance owns); null for any of 1 to {@code records} */
    Wrk(final Path dir, final int threads, final int connections, final int records, final Path ids) {
        this.dir = dir;
        this.threads = threads;
        this.connections = connections;
        this.records = records;
        this.ids = ids;
    }

    /** Persona's own API: the Hightouch dialect. */
    Run persona(final String baseUrl, final String apiKey, final Kind kind, final int seconds) throws IOException, InterruptedException {
        final String request = switch (kind) {
            case BY_ID -> "return wrk.format('GET', '/v1/collections/customers/records/user_id/' .. pick(), headers)";
            case BY_EMAIL -> "return wrk.format('GET', '/v1/collections/customers/records/email/customer-' .. pick() .. '@example.com', headers)";
            case BATCH_BY_ID -> "return wrk.format('POST', '/v1/collections/customers/records/batch', headers, '{\"ids\":[' .. ids('\"', '\"', ',') .. ']}')";
            case BATCH_BY_EMAIL -> "return wrk.format('POST', '/v1/collections/customers/records/batch', headers, "
                    + "'{\"index\":\"email\",\"ids\":[' .. ids('\"customer-', '@example.com\"', ',') .. ']}')";
        };
        final String headers = "headers = { ['Authorization'] = 'Bearer " + apiKey + "', ['Content-Type'] = 'application/json' }";
        return run("persona", baseUrl, kind, seconds, headers, request);
    }

    /**
     * webdis in front of Redis: {@code GET} of the record's JSON (served as is with {@code ?type=application/json}),
     * {@code MGET} for batches (webdis wraps the values in its JSON answer).
     */
    Run webdis(final String baseUrl, final Kind kind, final int seconds) throws IOException, InterruptedException {
        final String request = switch (kind) {
            case BY_ID -> "return wrk.format('GET', '/GET/customer:' .. pick() .. '?type=application/json', headers)";
            case BY_EMAIL -> "return wrk.format('GET', '/GET/email:customer-' .. pick() .. '@example%2Ecom?type=application/json', headers)";
            case BATCH_BY_ID -> "return wrk.format('GET', '/MGET/' .. ids('customer:', '', '/'), headers)";
            case BATCH_BY_EMAIL -> "return wrk.format('GET', '/MGET/' .. ids('email:customer-', '@example%2Ecom', '/'), headers)";
        };
        return run("webdis", baseUrl, kind, seconds, "headers = {}", request);
    }

    private Run run(final String target, final String baseUrl, final Kind kind, final int seconds, final String headers,
                    final String request) throws IOException, InterruptedException {
        final Path script = dir.resolve(target + "-" + kind.name().toLowerCase() + ".lua");
        Files.writeString(script, """
                local records = %d
                %s
                local counter = 0
                function setup(thread)
                  counter = counter + 1
                  thread:set("tid", counter)
                end
                local idfile = %s
                local picks = nil
                function init(args)
                  math.randomseed(os.time() * 1000 + (tid or 0))
                  if idfile then
                    picks = {}
                    for line in io.lines(idfile) do picks[#picks + 1] = line end
                  end
                end
                function pick()
                  if picks then return picks[math.random(#picks)] end
                  return math.random(records)
                end
                function ids(before, after, separator)
                  local parts = {}
                  for i = 1, 50 do parts[i] = before .. pick() .. after end
                  return table.concat(parts, separator)
                end
                function request()
                  %s
                end
                function done(summary, latency, requests)
                  local e = summary.errors
                  io.write(string.format('%s{"requests":%%d,"duration_us":%%d,"errors":%%d,"p50":%%d,"p90":%%d,"p99":%%d,"p999":%%d,"max":%%d}\\n',
                    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
                    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
                end
                """.formatted(records, headers, ids == null ? "nil" : "'" + ids.toAbsolutePath() + "'", request, RESULT_PREFIX));
        final Process wrk = new ProcessBuilder("wrk", "-t" + threads, "-c" + connections, "-d" + seconds + "s", "--timeout", "5s",
                "-s", script.toString(), baseUrl).redirectErrorStream(true).start();
        final List<String> lines = new ArrayList<>();
        try (var reader = wrk.inputReader(StandardCharsets.UTF_8)) {
            reader.lines().forEach(lines::add);
        }
        if (wrk.waitFor() != 0) {
            throw new IllegalStateException("wrk failed against " + baseUrl + ":\n" + String.join("\n", lines));
        }
        final String line = lines.stream().filter(l -> l.startsWith(RESULT_PREFIX)).findFirst()
                .orElseThrow(() -> new IllegalStateException("wrk printed no figures:\n" + String.join("\n", lines)));
        final JsonNode figures = Json.mapper().readTree(line.substring(RESULT_PREFIX.length()));
        return new Run(target, kind, figures.get("requests").asLong(), figures.get("duration_us").asLong() / 1e6, figures.get("errors").asLong(),
                figures.get("p50").asLong(), figures.get("p90").asLong(), figures.get("p99").asLong(), figures.get("p999").asLong(),
                figures.get("max").asLong());
    }
}
