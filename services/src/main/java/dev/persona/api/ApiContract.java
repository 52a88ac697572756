package dev.persona.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.persona.topology.Json;
import io.javalin.config.RoutesConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The OpenAPI 3.1 document of every public route ({@code openapi.yaml} in the jar, written by hand and checked
 * against real answers by {@code OpenApiContractIT}), served as JSON at {@code /openapi.json} without a key: it
 * names no collection and no secret.
 */
final class ApiContract {
    static final String PATH = "/openapi.json";
    private final byte[] json;

    private ApiContract(final byte[] json) {
        this.json = json;
    }

    /** Reads the document from the class path, once. */
    static ApiContract load() {
        try {
            return new ApiContract(Json.mapper().writeValueAsBytes(document()));
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("cannot write openapi.yaml as JSON", e);
        }
    }

    /** The document as a tree. */
    static JsonNode document() {
        try (InputStream yaml = ApiContract.class.getResourceAsStream("/openapi.yaml")) {
            if (yaml == null) {
                throw new IllegalStateException("openapi.yaml is missing from the class path");
            }
            return new ObjectMapper(new YAMLFactory()).readTree(yaml);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read openapi.yaml", e);
        }
    }

    void register(final RoutesConfig routes) {
        routes.get(PATH, ctx -> ctx.contentType("application/json").result(json));
    }
}
