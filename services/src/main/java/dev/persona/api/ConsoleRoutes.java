package dev.persona.api;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * {@code /console}: the operator console, three static files from the jar (no build toolchain) that call the admin
 * API from the browser with the admin key the operator signs in with. The files hold no data and no secret, so they
 * are served without a key; every figure on the pages comes from admin routes that require one. Served on the
 * management port when there is one, like the rest of {@code /admin}.
 */
final class ConsoleRoutes {
    static final String PATH = "/console";
    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "console.js", "text/javascript; charset=utf-8",
            "console.css", "text/css; charset=utf-8");
    private final Map<String, byte[]> contents;

    ConsoleRoutes() {
        this.contents = Map.of("index.html", read("index.html"), "console.js", read("console.js"), "console.css", read("console.css"));
    }

    void register(final RoutesConfig routes) {
        routes.get(PATH, ctx -> serve(ctx, "index.html"));
        routes.get(PATH + "/", ctx -> serve(ctx, "index.html"));
        routes.get(PATH + "/{file}", ctx -> {
            final String file = ctx.pathParam("file");
            if (!FILES.containsKey(file)) {
                throw ApiException.notFound("not_found", "no such console file: " + file);
            }
            serve(ctx, file);
        });
    }

    private void serve(final Context ctx, final String file) {
        // Scripts and styles from this origin only, no inline script: an injected value can never run.
        ctx.header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Cache-Control", "no-cache");
        ctx.contentType(FILES.get(file)).result(contents.get(file));
    }

    private static byte[] read(final String file) {
        try (InputStream in = ConsoleRoutes.class.getResourceAsStream("/console/" + file)) {
            if (in == null) {
                throw new IllegalStateException("console/" + file + " is missing from the class path");
            }
            return in.readAllBytes();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
