package dev.persona.tls;

import dev.persona.config.TlsSettings;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

/**
 * How an instance calls another over HTTPS: trusting only the configured certificates, checking the host name. The
 * certificates can be read again ({@link #reload()}, which {@link ServerTls} calls when the trust file changes), so a
 * rotated CA needs no restart: new connections are checked against the new certificates, open ones keep theirs.
 */
public final class PeerTls {
    private final TlsSettings tls;
    private final SSLContext context;
    private volatile X509ExtendedTrustManager trust;

    private PeerTls(final TlsSettings tls) {
        this.tls = tls;
        this.trust = trustManager(tls);
        try {
            context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[]{new Delegate()}, null);
        } catch (final GeneralSecurityException e) {
            throw new TlsException("cannot make a TLS client context: " + e.getMessage(), e);
        }
    }

    /**
     * Reads the trusted certificates.
     *
     * @throws TlsException naming the file that cannot be used
     */
    public static PeerTls start(final TlsSettings tls) {
        return new PeerTls(tls);
    }

    /** A client context trusting {@link TlsSettings#trustedCertificates()} as they are now, for a one-off client. */
    public static SSLContext clientContext(final TlsSettings tls) {
        return start(tls).context();
    }

    /** The client context; it follows {@link #reload()}. */
    public SSLContext context() {
        return context;
    }

    /** The trust manager handshakes consult: it follows {@link #reload()}. */
    X509ExtendedTrustManager trustManager() {
        return new Delegate();
    }

    /**
     * Reads the trusted certificates again.
     *
     * @throws TlsException when they cannot be used; the ones read before stay in force
     */
    public void reload() {
        trust = trustManager(tls);
    }

    private static X509ExtendedTrustManager trustManager(final TlsSettings tls) {
        try {
            final TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(PemFiles.trustStore(tls.trustedCertificates()));
            for (final TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509ExtendedTrustManager x509) {
                    return x509;
                }
            }
            throw new TlsException("no X.509 trust manager for " + tls.trustedCertificates(), null);
        } catch (final GeneralSecurityException e) {
            throw new TlsException("cannot trust the certificates in " + tls.trustedCertificates() + ": " + e.getMessage(), e);
        }
    }

    /** Checks with the certificates read last. */
    private final class Delegate extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(final X509Certificate[] chain, final String authType, final Socket socket) throws CertificateException {
            trust.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(final X509Certificate[] chain, final String authType, final Socket socket) throws CertificateException {
            trust.checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(final X509Certificate[] chain, final String authType, final SSLEngine engine) throws CertificateException {
            trust.checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(final X509Certificate[] chain, final String authType, final SSLEngine engine) throws CertificateException {
            trust.checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(final X509Certificate[] chain, final String authType) throws CertificateException {
            trust.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(final X509Certificate[] chain, final String authType) throws CertificateException {
            trust.checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return trust.getAcceptedIssuers();
        }
    }
}
