package dev.persona.api;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Starts Jetty sized as the API sizes it, on this JVM's core count, answers one request and stops. */
final class HttpThreadsProbe {
    private HttpThreadsProbe() {
    }

    public static void main(final String[] args) throws Exception {
        final HttpThreads threads = HttpThreads.ofThisMachine();
        final Server server = new Server(threads.pool());
        final ServerConnector connector = threads.connector(server, new HttpConfiguration(), "127.0.0.1", 0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(final org.eclipse.jetty.server.Request request, final org.eclipse.jetty.server.Response response,
                                  final Callback callback) {
                response.setStatus(200);
                callback.succeeded();
                return true;
            }
        });
        server.start();
        try {
            final HttpResponse<Void> answer = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/")).build(),
                    HttpResponse.BodyHandlers.discarding());
            System.out.println("answered " + answer.statusCode() + " on " + Runtime.getRuntime().availableProcessors() + " cores with "
                    + threads);
        } finally {
            server.stop();
        }
    }
}
