package dev.persona.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * HTTPS for the API and between instances. The files are PEM and are read again when they change, so a renewed
 * certificate needs no restart.
 *
 * @param certificate the server's certificate chain (PEM), leaf first
 * @param privateKey  its private key (PEM, PKCS#8 or PKCS#1, unencrypted)
 * @param trust       the certificates an instance trusts when it calls another (PEM); empty: the chain in
 *                    {@code certificate}, for instances that share one certificate or one CA
 */
public record TlsSettings(Path certificate, Path privateKey, Optional<Path> trust) {

    /** The certificates peers are checked against. */
    public Path trustedCertificates() {
        return trust.orElse(certificate);
    }
}
