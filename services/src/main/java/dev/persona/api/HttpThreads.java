package dev.persona.api;

import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.util.Map;

/**
 * How many threads the HTTP server runs, from the core count. Plain record lookups run on the selector thread that
 * parsed them ({@link FastLookupHandler}), so there is one selector per core (Jetty's default is one per two cores).
 * Jetty leases an acceptor, every selector and up to one reserved thread per core out of the pool before any request
 * runs; the pool holds those and {@link #WORKERS} workers on top. A fixed pool of 16 could not start on 16 cores
 * ({@code Insufficient configured threads: required=19 < max=16}).
 *
 * @param selectors  selector threads, one per core unless {@code PERSONA_HTTP_SELECTORS} says otherwise
 * @param maxThreads the pool's size, unless {@code PERSONA_HTTP_THREADS} says otherwise
 */
record HttpThreads(int selectors, int maxThreads) {
    /** Threads for requests that block (forwards, bodies, admin): lookups never block on I/O of their own. */
    static final int WORKERS = 16;
    private static final int ACCEPTORS = 1;

    /** The sizing for a machine with {@code cores} cores, as the environment may adjust it. */
    static HttpThreads forCores(final int cores, final Map<String, String> environment) {
        final int selectors = threadCount(environment, "PERSONA_HTTP_SELECTORS", cores);
        // The management connector's acceptor and selector included.
        final int needed = ACCEPTORS + selectors + cores + 2;
        final int max = threadCount(environment, "PERSONA_HTTP_THREADS", needed + WORKERS);
        if (max < needed + 2) {
            throw new IllegalArgumentException("PERSONA_HTTP_THREADS=" + max + " leaves no worker threads: on " + cores + " cores with "
                    + selectors + " selectors Jetty takes " + needed + " threads before any request; give at least " + (needed + 2)
                    + ", or unset it for " + (needed + WORKERS));
        }
        return new HttpThreads(selectors, max);
    }

    /** The sizing for this machine and environment. */
    static HttpThreads ofThisMachine() {
        return forCores(Runtime.getRuntime().availableProcessors(), System.getenv());
    }

    /** The pool: starts small and grows on demand up to {@link #maxThreads}. */
    QueuedThreadPool pool() {
        final QueuedThreadPool pool = new Pool(maxThreads, Math.min(8, maxThreads), 60_000);
        pool.setName("persona-http");
        return pool;
    }

    /**
     * Runs {@code completion} (writing answers to lookups that finished after their handler returned) so that a
     * connection Jetty resumes when such an answer is written goes on reading on this thread, rather than on a pool
     * thread woken for it: Jetty hands every request completed after {@code handle} returned to its executor to read
     * the connection's next request, and for forwarded lookups that hand-off (a futex wake, a thread switch and a park
     * per lookup) cost more than the forward. Only connections resume inline: what the next request needs is
     * dispatched as it would be (the handlers in front of Javalin do not block, Javalin runs on workers).
     */
    static void completing(final Runnable completion) {
        if (Pool.INLINE.get() != null) {
            completion.run();
            return;
        }
        Pool.INLINE.set(Boolean.TRUE);
        try {
            completion.run();
        } finally {
            Pool.INLINE.remove();
        }
    }

    /** The server's pool; see {@link #completing}. */
    private static final class Pool extends QueuedThreadPool {
        private static final ThreadLocal<Boolean> INLINE = new ThreadLocal<>();

        Pool(final int maxThreads, final int minThreads, final int idleTimeout) {
            super(maxThreads, minThreads, idleTimeout);
        }

        @Override
        public void execute(final Runnable job) {
            if (job instanceof org.eclipse.jetty.io.Connection && INLINE.get() != null) {
                job.run();
                return;
            }
            super.execute(job);
        }
    }

    /** A connector on {@code host:port} with these selectors. */
    ServerConnector connector(final Server server, final HttpConfiguration http, final String host, final int port) {
        return connector(server, http, host, port, null);
    }

    /** A connector on {@code host:port} with these selectors, speaking HTTPS when {@code tls} is given. */
    ServerConnector connector(final Server server, final HttpConfiguration http, final String host, final int port,
                              final SslContextFactory.Server tls) {
        return connector(server, http, host, port, tls, selectors);
    }

    /** The management port's connector: scrapes and probes need one selector. */
    static ServerConnector managementConnector(final Server server, final HttpConfiguration http, final String host, final int port,
                                               final SslContextFactory.Server tls) {
        return connector(server, http, host, port, tls, 1);
    }

    private static ServerConnector connector(final Server server, final HttpConfiguration http, final String host, final int port,
                                             final SslContextFactory.Server tls, final int selectorCount) {
        final ServerConnector connector;
        if (tls == null) {
            connector = new ServerConnector(server, ACCEPTORS, selectorCount, new HttpConnectionFactory(http));
        } else {
            final HttpConfiguration https = new HttpConfiguration(http);
            // Clients reach instances by address as well as by name: the client checks the certificate's names.
            https.addCustomizer(new SecureRequestCustomizer(false));
            connector = new ServerConnector(server, ACCEPTORS, selectorCount, new SslConnectionFactory(tls, HttpVersion.HTTP_1_1.asString()),
                    new HttpConnectionFactory(https));
        }
        connector.setHost(host);
        connector.setPort(port);
        return connector;
    }

    /**
     * A thread count from the environment.
     *
     * @throws IllegalArgumentException naming the variable, when it is set to anything but a positive whole number
     */
    static int threadCount(final Map<String, String> environment, final String variable, final int otherwise) {
        final String value = environment.get(variable);
        if (value == null || value.isBlank()) {
            return otherwise;
        }
        try {
            final int count = Integer.parseInt(value.trim());
            if (count > 0) {
                return count;
            }
        } catch (final NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(variable + " must be a positive whole number of threads, found '" + value
                + "'; unset it for the default (" + otherwise + ")");
    }
}
