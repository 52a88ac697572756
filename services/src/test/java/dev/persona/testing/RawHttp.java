package dev.persona.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 written by hand onto a socket, for requests no well-behaved client sends: malformed escapes, oversized
 * lines and headers, garbage. Reads one answer (by Content-Length, chunks, or to the end) and closes the socket
 * with a reset, so that many requests leave no TIME_WAIT sockets behind.
 */
public final class RawHttp {
    private final int port;

    public RawHttp(final int port) {
        this.port = port;
    }

    /** Sends {@code request} as is and reads the answer. */
    public Answer send(final String request) throws IOException {
        return send(request.getBytes(StandardCharsets.ISO_8859_1), false);
    }

    /**
     * Sends {@code request} as is and reads the answer.
     *
     * @param head whether it is a HEAD request, whose answer has no body
     */
    public Answer send(final byte[] request, final boolean head) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            socket.setSoLinger(true, 0);
            final OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                out.flush();
            } catch (final IOException e) {
                // The server may answer and close before it has read everything: read what it said.
            }
            return read(socket.getInputStream(), head);
        }
    }

    /** Sends {@code request} as is, then ends the request stream (a half close, as a client that gave up would), and reads the answer. */
    public Answer sendAndHalfClose(final String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            socket.shutdownOutput();
            return read(socket.getInputStream(), false);
        }
    }

    private static Answer read(final InputStream in, final boolean head) throws IOException {
        final ByteArrayOutputStream headBytes = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            final int b = in.read();
            if (b < 0) {
                throw new IOException("the server closed before a full answer: " + headBytes.toString(StandardCharsets.ISO_8859_1));
            }
            headBytes.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : 0;
        }
        final String[] lines = headBytes.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        final int status = Integer.parseInt(lines[0].split(" ")[1]);
        final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 1; i < lines.length; i++) {
            final int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim());
            }
        }
        final byte[] body;
        if (head || status == 204 || status == 304 || status < 200) {
            body = new byte[0];
        } else if (headers.containsKey("Content-Length")) {
            body = in.readNBytes(Integer.parseInt(headers.get("Content-Length")));
        } else if ("chunked".equalsIgnoreCase(headers.getOrDefault("Transfer-Encoding", ""))) {
            body = chunks(in);
        } else {
            body = in.readAllBytes();
        }
        return new Answer(status, headers, new String(decoded(body, headers.getOrDefault("Content-Encoding", "")), StandardCharsets.UTF_8));
    }

    /**
     * The body as the server meant it: a request may ask for {@code Accept-Encoding: gzip}, and then a large answer
     * comes compressed. A body that says gzip but is not stays as it came, for the test to find.
     */
    private static byte[] decoded(final byte[] body, final String encoding) {
        if (!"gzip".equalsIgnoreCase(encoding.trim()) || body.length == 0) {
            return body;
        }
        try (java.util.zip.GZIPInputStream gzip = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
            return gzip.readAllBytes();
        } catch (final IOException e) {
            return body;
        }
    }

    private static byte[] chunks(final InputStream in) throws IOException {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            final StringBuilder size = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                if (b != '\r') {
                    size.append((char) b);
                }
            }
            final int length = Integer.parseInt(size.toString().split(";")[0].trim(), 16);
            if (length == 0) {
                return body.toByteArray();
            }
            body.write(in.readNBytes(length));
            in.readNBytes(2);
        }
    }

    /**
     * One answer.
     *
     * @param status  the status code
     * @param headers headers, by case-insensitive name
     * @param body    the body as text
     */
    public record Answer(int status, Map<String, String> headers, String body) {
        public String header(final String name) {
            return headers.getOrDefault(name.toLowerCase(Locale.ROOT), headers.getOrDefault(name, ""));
        }
    }
}
