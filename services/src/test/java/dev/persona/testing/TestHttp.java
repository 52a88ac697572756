package dev.persona.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A real HTTP client for tests, pointed at one instance on 127.0.0.1. */
public final class TestHttp {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String base;
    private final HttpClient client;

    public TestHttp(final int port) {
        this("http://127.0.0.1:" + port, CLIENT);
    }

    private TestHttp(final String base, final HttpClient client) {
        this.base = base;
        this.client = client;
    }

    /** A client of an HTTPS instance, trusting only {@code trust}. */
    public static TestHttp https(final int port, final javax.net.ssl.SSLContext trust) {
        return new TestHttp("https://127.0.0.1:" + port, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(trust).build());
    }

    public HttpResponse<String> get(final String path, final String... headers) {
        return send(builder(path, headers).GET().build());
    }

    public HttpResponse<String> post(final String path, final String body, final String... headers) {
        return send(builder(path, headers).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** A POST of bytes (a call between instances), answered in bytes. */
    public HttpResponse<byte[]> postBytes(final String path, final byte[] body, final String... headers) {
        try {
            return client.send(builder(path, headers).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<String> delete(final String path, final String... headers) {
        return send(builder(path, headers).DELETE().build());
    }

    /** {@code Authorization: Bearer <key>} as header pairs. */
    public static String[] bearer(final String key) {
        return new String[]{"Authorization", "Bearer " + key};
    }

    private HttpRequest.Builder builder(final String path, final String... headers) {
        final HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        return builder;
    }

    private HttpResponse<String> send(final HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
