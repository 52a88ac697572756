package dev.persona.tls;

import dev.persona.config.TlsSettings;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.security.GeneralSecurityException;

/** How an instance calls another over HTTPS: trusting only the configured certificates, checking the host name. */
public final class PeerTls {
    private PeerTls() {
    }

    /** A client context trusting {@link TlsSettings#trustedCertificates()}. */
    public static SSLContext clientContext(final TlsSettings tls) {
        try {
            final TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(PemFiles.trustStore(tls.trustedCertificates()));
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (final GeneralSecurityException e) {
            throw new TlsException("cannot trust the certificates in " + tls.trustedCertificates() + ": " + e.getMessage(), e);
        }
    }
}
