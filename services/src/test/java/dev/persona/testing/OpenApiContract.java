package dev.persona.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Checks real answers against Persona's OpenAPI 3.1 document: the operation and its status must be declared, and a
 * JSON body must match the declared schema (JSON Schema 2020-12, OpenAPI 3.1's dialect). It remembers which
 * operations were checked, so a test can also insist that every declared operation was tried.
 */
public final class OpenApiContract {
    private static final JsonSchemaFactory SCHEMAS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private final JsonNode document;
    private final Set<String> checked = new TreeSet<>();

    private OpenApiContract(final JsonNode document) {
        this.document = document;
    }

    /** The document in the class path ({@code openapi.yaml}), as the instance serves it. */
    public static OpenApiContract fromClassPath() {
        try (InputStream yaml = OpenApiContract.class.getResourceAsStream("/openapi.yaml")) {
            return new OpenApiContract(new ObjectMapper(new YAMLFactory()).readTree(yaml));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The document. */
    public JsonNode document() {
        return document;
    }

    /**
     * Asserts that {@code response} to {@code method} on {@code pathTemplate} (as the document writes it:
     * {@code /v1/collections/{collection}/records/batch}) is what the document declares.
     *
     * @throws AssertionError naming the operation, the status and every schema violation
     */
    /** Checks the status and media type of an answer whose body is a stream that does not end (Server-Sent Events). */
    public void checkStream(final String method, final String pathTemplate, final HttpResponse<?> response) {
        final String operation = method.toUpperCase(Locale.ROOT) + " " + pathTemplate;
        final JsonNode answer = document.path("paths").path(pathTemplate).path(method.toLowerCase(Locale.ROOT)).path("responses")
                .path(Integer.toString(response.statusCode()));
        if (answer.isMissingNode()) {
            throw new AssertionError(operation + " answered " + response.statusCode() + ", which openapi.yaml does not declare");
        }
        final String type = response.headers().firstValue("Content-Type").orElse("").split(";")[0].trim();
        if (resolve(answer).path("content").path(type).isMissingNode()) {
            throw new AssertionError(operation + " " + response.statusCode() + ": answered " + type + ", which openapi.yaml does not declare");
        }
        checked.add(operation);
    }

    public void check(final String method, final String pathTemplate, final HttpResponse<String> response) {
        final String operation = method.toUpperCase(Locale.ROOT) + " " + pathTemplate;
        final JsonNode path = document.path("paths").path(pathTemplate);
        if (path.isMissingNode()) {
            throw new AssertionError(operation + ": the path is not in openapi.yaml");
        }
        final JsonNode declared = path.path(method.toLowerCase(Locale.ROOT));
        if (declared.isMissingNode()) {
            throw new AssertionError(operation + ": the method is not in openapi.yaml");
        }
        final String status = Integer.toString(response.statusCode());
        JsonNode answer = declared.path("responses").path(status);
        if (answer.isMissingNode()) {
            throw new AssertionError(operation + " answered " + status + ", which openapi.yaml does not declare: " + response.body());
        }
        answer = resolve(answer);
        checked.add(operation);
        final JsonNode content = answer.path("content");
        if (content.isMissingNode() || content.isEmpty()) {
            if (!response.body().isEmpty()) {
                throw new AssertionError(operation + " " + status + ": declared without a body, answered " + response.body());
            }
            return;
        }
        final String type = response.headers().firstValue("Content-Type").orElse("").split(";")[0].trim();
        final JsonNode media = content.path(type);
        if (media.isMissingNode()) {
            throw new AssertionError(operation + " " + status + ": answered " + type + ", declared " + content.fieldNames().next());
        }
        if (!type.equals("application/json")) {
            return;
        }
        final ObjectNode schema = ((ObjectNode) resolve(media.path("schema")).deepCopy());
        // Refs in the schema point into the whole document (#/components/...): carry the components along.
        schema.set("components", document.path("components"));
        final JsonSchema validator = SCHEMAS.getSchema(schema);
        final JsonNode body;
        try {
            body = new ObjectMapper().readTree(response.body());
        } catch (final IOException e) {
            throw new AssertionError(operation + " " + status + ": not JSON: " + response.body(), e);
        }
        final Set<ValidationMessage> errors = validator.validate(body);
        if (!errors.isEmpty()) {
            throw new AssertionError(operation + " " + status + " does not match openapi.yaml: "
                    + errors.stream().map(ValidationMessage::getMessage).collect(Collectors.joining("; ")) + "\nbody: " + response.body());
        }
    }

    /** The operations of the document that no {@link #check} has tried yet. */
    public Set<String> untried() {
        final Set<String> all = new TreeSet<>();
        document.path("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method -> {
            if (Set.of("get", "post", "put", "delete", "patch").contains(method)) {
                all.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey());
            }
        }));
        all.removeAll(checked);
        return all;
    }

    private JsonNode resolve(final JsonNode node) {
        final JsonNode ref = node.path("$ref");
        if (!ref.isTextual() || !ref.asText().startsWith("#/components/responses/")) {
            return node;
        }
        return document.at(ref.asText().substring(1));
    }
}
