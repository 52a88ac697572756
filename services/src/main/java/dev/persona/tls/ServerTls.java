package dev.persona.tls;

import dev.persona.config.TlsSettings;
import org.eclipse.jetty.util.Scanner;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Set;

/**
 * The API's HTTPS: Jetty's server context over the configured PEM files, and the client context instances call each
 * other with ({@link PeerTls}), both read again when any of the files changes (checked every second, with Jetty's
 * {@link Scanner}), so a renewed certificate or a rotated CA takes effect without a restart. New connections get the
 * new certificates; open ones keep theirs. A file that cannot be read leaves the last good certificates in place
 * and says why in the log.
 */
public final class ServerTls implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

    private final SslContextFactory.Server factory;
    private final PeerTls peers;
    private final Scanner scanner;

    private ServerTls(final SslContextFactory.Server factory, final PeerTls peers, final Scanner scanner) {
        this.factory = factory;
        this.peers = peers;
        this.scanner = scanner;
    }

    /**
     * Reads the files and starts watching them.
     *
     * @throws TlsException naming the file that cannot be used
     */
    public static ServerTls start(final TlsSettings tls) {
        final SslContextFactory.Server factory = new SslContextFactory.Server();
        factory.setKeyStore(PemFiles.keyStore(tls));
        factory.setKeyStorePassword(new String(PemFiles.PASSWORD));
        factory.setKeyManagerPassword(new String(PemFiles.PASSWORD));
        // Clients reach instances by IP address and by name; the certificate's names are the client's to check.
        factory.setSniRequired(false);
        final PeerTls peers = PeerTls.start(tls);
        final Scanner scanner = new Scanner();
        scanner.setScanInterval(1);
        scanner.setReportExistingFilesOnStartup(false);
        for (final Path file : Set.of(tls.certificate(), tls.privateKey(), tls.trustedCertificates())) {
            scanner.addFile(file);
        }
        scanner.addListener(new Scanner.BulkListener() {
            @Override
            public void pathsChanged(final Set<Path> changed) {
                try {
                    final java.security.KeyStore renewed = PemFiles.keyStore(tls);
                    factory.reload(f -> f.setKeyStore(renewed));
                    LOG.info("Reloaded the TLS certificate from {}", tls.certificate());
                } catch (final Exception e) {
                    LOG.warn("Keeping the current TLS certificate: {} changed but cannot be used ({})", changed, e.getMessage());
                }
                try {
                    peers.reload();
                    LOG.info("Reloaded the certificates trusted for calls to other instances from {}", tls.trustedCertificates());
                } catch (final TlsException e) {
                    LOG.warn("Keeping the certificates trusted for calls to other instances: {}", e.getMessage());
                }
            }
        });
        try {
            scanner.start();
        } catch (final Exception e) {
            throw new TlsException("cannot watch " + tls.certificate() + " for changes: " + e.getMessage(), e);
        }
        return new ServerTls(factory, peers, scanner);
    }

    /** Jetty's context factory for the HTTPS connector. */
    public SslContextFactory.Server contextFactory() {
        return factory;
    }

    /** What calls to other instances trust. */
    PeerTls peers() {
        return peers;
    }

    /** The client context for calls to other instances; it follows the trust file. */
    public javax.net.ssl.SSLContext peerContext() {
        return peers.context();
    }

    @Override
    public void close() throws Exception {
        scanner.stop();
    }
}
