package dev.persona.tls;

/** TLS material that cannot be used; the message names the file and what is wrong with it. */
public final class TlsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TlsException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
