package dev.persona.tls;

import dev.persona.config.TlsSettings;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.List;

/**
 * PEM files as the key stores Java's TLS wants: the certificate chain and its key, and the certificates to trust.
 * The key may be PKCS#8 ({@code BEGIN PRIVATE KEY}) or PKCS#1/SEC1 ({@code BEGIN RSA PRIVATE KEY},
 * {@code BEGIN EC PRIVATE KEY}), unencrypted; Bouncy Castle reads them all.
 */
public final class PemFiles {
    /** The in-memory key stores' password: they never touch a disk. */
    static final char[] PASSWORD = "persona".toCharArray();

    private PemFiles() {
    }

    /**
     * The server's key and chain as a key store.
     *
     * @throws TlsException naming the file that cannot be read
     */
    public static KeyStore keyStore(final TlsSettings tls) {
        final List<Certificate> chain = certificates(tls.certificate());
        final PrivateKey key = privateKey(tls.privateKey());
        try {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("persona", key, PASSWORD, chain.toArray(Certificate[]::new));
            return store;
        } catch (final GeneralSecurityException | IOException e) {
            throw new TlsException("the key in " + tls.privateKey() + " does not fit the certificate in " + tls.certificate() + ": " + e.getMessage(), e);
        }
    }

    /** The certificates of a PEM file as a trust store. */
    public static KeyStore trustStore(final Path pem) {
        try {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int i = 0;
            for (final Certificate certificate : certificates(pem)) {
                store.setCertificateEntry("trusted-" + i++, certificate);
            }
            return store;
        } catch (final GeneralSecurityException | IOException e) {
            throw new TlsException("cannot build a trust store from " + pem + ": " + e.getMessage(), e);
        }
    }

    static List<Certificate> certificates(final Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            final List<Certificate> certificates = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
            if (certificates.isEmpty()) {
                throw new TlsException(pem + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)", null);
            }
            return certificates;
        } catch (final IOException | GeneralSecurityException e) {
            throw new TlsException("cannot read the certificates in " + pem + ": " + e.getMessage(), e);
        }
    }

    static PrivateKey privateKey(final Path pem) {
        try (Reader reader = Files.newBufferedReader(pem); PEMParser parser = new PEMParser(reader)) {
            final Object parsed = parser.readObject();
            final JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (parsed instanceof PEMKeyPair pair) {
                return converter.getKeyPair(pair).getPrivate();
            }
            if (parsed instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            throw new TlsException(pem + " holds no unencrypted PEM private key (found "
                    + (parsed == null ? "nothing" : parsed.getClass().getSimpleName()) + ")", null);
        } catch (final IOException e) {
            throw new TlsException("cannot read the private key in " + pem + ": " + e.getMessage(), e);
        }
    }
}
