package dev.persona.tls;

import dev.persona.config.TlsSettings;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A renewed certificate and a rotated CA take effect without a restart: once the files are replaced, the server
 * presents the new certificate, and calls to other instances trust the new CA and no longer the old one.
 */
class CertificateRotationTest {
    @Test
    void shouldServeTheNewCertificateAndTrustOnlyTheNewCaOnceTheFilesChange() throws Exception {
        final Path dir = Files.createTempDirectory("persona-rotation");
        try {
            final TlsSettings tls = DemoCertificates.create(dir.resolve("live"));
            final X509Certificate[] oldChain = chain(tls.certificate());
            final X509Certificate[] newChain = chain(DemoCertificates.create(dir.resolve("next")).certificate());
            try (ServerTls server = ServerTls.start(tls)) {
                assertEquals(oldChain[0], served(server));
                assertTrue(trusts(server, oldChain));
                assertFalse(trusts(server, newChain), "a certificate of another CA");

                for (final String file : new String[]{"ca.pem", "server.pem", "server-key.pem"}) {
                    Files.copy(dir.resolve("next").resolve(file), dir.resolve("live").resolve(file), StandardCopyOption.REPLACE_EXISTING);
                }
                Poll.until(Duration.ofSeconds(20), "the renewed certificate served", () -> newChain[0].equals(served(server)));
                Poll.until(Duration.ofSeconds(20), "the new CA trusted by calls to peers", () -> trusts(server, newChain));
                assertFalse(trusts(server, oldChain), "the old CA is no longer trusted");
            }
        } finally {
            TempDirs.delete(dir);
        }
    }

    private static X509Certificate[] chain(final Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in).stream().map(X509Certificate.class::cast)
                    .toArray(X509Certificate[]::new);
        }
    }

    private static X509Certificate served(final ServerTls server) {
        try {
            final KeyStore store = server.contextFactory().getKeyStore();
            return (X509Certificate) store.getCertificate(store.aliases().nextElement());
        } catch (final Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean trusts(final ServerTls server, final X509Certificate[] chain) {
        try {
            server.peers().trustManager().checkServerTrusted(chain, "ECDHE_ECDSA");
            return true;
        } catch (final CertificateException e) {
            return false;
        }
    }
}
