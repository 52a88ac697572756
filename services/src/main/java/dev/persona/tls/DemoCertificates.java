package dev.persona.tls;

import dev.persona.config.TlsSettings;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;

/**
 * A private CA and a server certificate it signed, for {@code persona demo --tls} and for tests: names
 * {@code localhost} and {@code 127.0.0.1}, valid for 30 days, EC P-256. Written as PEM files: {@code ca.pem} (what
 * curl's {@code --cacert} takes), {@code server.pem} (the chain) and {@code server-key.pem} (readable by the owner
 * only).
 */
public final class DemoCertificates {
    private static final SecureRandom RANDOM = new SecureRandom();

    private DemoCertificates() {
    }

    /**
     * Makes the files in {@code dir} and returns them as TLS settings; {@code trust} is the CA.
     *
     * @param names the DNS names and IP addresses the server certificate holds besides localhost and 127.0.0.1
     */
    public static TlsSettings create(final Path dir, final String... names) {
        try {
            Files.createDirectories(dir);
            final KeyPair caKeys = keyPair();
            final X500Name caName = new X500Name("CN=Persona demo CA");
            final Instant now = Instant.now();
            final X509CertificateHolder ca = sign(new JcaX509v3CertificateBuilder(caName, serial(), Date.from(now.minus(Duration.ofMinutes(5))),
                            Date.from(now.plus(Duration.ofDays(30))), caName, caKeys.getPublic())
                            .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                            .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)),
                    caKeys);
            final KeyPair serverKeys = keyPair();
            final GeneralName[] subjectNames = new GeneralName[2 + names.length];
            subjectNames[0] = new GeneralName(GeneralName.dNSName, "localhost");
            subjectNames[1] = new GeneralName(GeneralName.iPAddress, "127.0.0.1");
            for (int i = 0; i < names.length; i++) {
                subjectNames[2 + i] = new GeneralName(names[i].matches("[0-9.]+|.*:.*") ? GeneralName.iPAddress : GeneralName.dNSName, names[i]);
            }
            final X509CertificateHolder server = sign(new JcaX509v3CertificateBuilder(caName, serial(), Date.from(now.minus(Duration.ofMinutes(5))),
                            Date.from(now.plus(Duration.ofDays(30))), new X500Name("CN=localhost"), serverKeys.getPublic())
                            .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                            .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(subjectNames)),
                    caKeys);
            final Path caFile = dir.resolve("ca.pem");
            final Path chainFile = dir.resolve("server.pem");
            final Path keyFile = dir.resolve("server-key.pem");
            Files.writeString(caFile, pem(ca));
            Files.writeString(chainFile, pem(server) + pem(ca));
            // PKCS#8 (BEGIN PRIVATE KEY), which Kafka's PEM support and every TLS tool read.
            Files.writeString(keyFile, pem(new JcaPKCS8Generator(serverKeys.getPrivate(), null)));
            try {
                Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
            } catch (final UnsupportedOperationException e) {
                // Not a POSIX file system: the directory's permissions are what protect it.
            }
            return new TlsSettings(chainFile, keyFile, Optional.of(caFile));
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write certificates to " + dir, e);
        } catch (final GeneralSecurityException | OperatorCreationException e) {
            throw new TlsException("cannot make demo certificates: " + e.getMessage(), e);
        }
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(64, RANDOM).abs().add(BigInteger.ONE);
    }

    private static X509CertificateHolder sign(final org.bouncycastle.cert.X509v3CertificateBuilder builder, final KeyPair issuer) throws OperatorCreationException {
        return builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate()));
    }

    private static String pem(final Object object) throws IOException {
        final StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        }
        return out.toString();
    }
}
