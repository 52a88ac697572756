package dev.persona.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.persona.config.CollectionConfig;
import dev.persona.config.DestinationConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.keys.ApiKey;
import dev.persona.routing.IndexRef;
import dev.persona.routing.RecordFinder;
import dev.persona.routing.StoredValue;
import dev.persona.topology.Json;
import dev.persona.topology.StoredRecord;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The RudderStack dialect: {@code POST /v1/activation} with {@code {entity, destinationId, id: {type, value}}}.
 * Its 401 and 404 bodies are the seed's, byte for byte; an absent record is a 200 with {@code "data": {}}.
 */
final class ActivationRoutes {
    static final String UNAUTHORIZED = "{\n  \"error\": \"Unauthorized request. Please check your access token\"\n}";
    static final String INVALID_DESTINATION = "{\n  \"error\": \"Invalid Destination. Please verify you are passing the right destination ID\"\n}";
    private static final ObjectMapper MAPPER = Json.mapper();

    private final PersonaConfig config;
    private final RecordFinder finder;
    private final Authenticator auth;

    ActivationRoutes(final PersonaConfig config, final RecordFinder finder, final Authenticator auth) {
        this.config = config;
        this.finder = finder;
        this.auth = auth;
    }

    void register(final RoutesConfig routes) {
        routes.post("/v1/activation", this::activate);
    }

    private void activate(final Context ctx) {
        final Optional<ApiKey> key = auth.admittedKey(ctx);
        if (key.isEmpty()) {
            answer(ctx, 401, UNAUTHORIZED);
            return;
        }
        final JsonNode body = Requests.body(ctx);
        final String destinationId = body.path("destinationId").asText("").trim();
        final Optional<DestinationConfig> destination = destinationId.isEmpty() ? Optional.empty() : config.destination(destinationId);
        if (destination.isEmpty()) {
            answer(ctx, 404, INVALID_DESTINATION);
            return;
        }
        final String entity = body.path("entity").asText("");
        if (!destination.get().collections().contains(entity)) {
            throw rudderError("Invalid entity '" + entity + "'. Destination '" + destinationId + "' serves: "
                    + String.join(", ", destination.get().collections()));
        }
        // The one read decision every lookup takes (the rate token taken above is not taken twice); RudderStack words
        // a key scoped elsewhere as it words no key.
        final Authenticator.ReadDecision decision = auth.decideRead(ctx.header("Authorization"), entity,
                ctx.attribute(Authenticator.ADMISSION_ATTRIBUTE) instanceof RateLimits.Admission taken ? taken : null);
        if (decision instanceof Authenticator.ReadDecision.Refused refused) {
            if (refused.error().status() == 401 || refused.error().status() == 403) {
                answer(ctx, 401, UNAUTHORIZED);
                return;
            }
            throw refused.error();
        }
        final Authenticator.ReadDecision.Admitted reader = (Authenticator.ReadDecision.Admitted) decision;
        final CollectionConfig collection = reader.collection();
        final JsonNode id = body.get("id");
        if (id == null || !id.isObject() || !id.path("value").isValueNode() || id.path("value").isNull()) {
            throw rudderError("Invalid id. Send \"id\": {\"type\": \"" + collection.primaryIndex() + "\", \"value\": \"...\"}");
        }
        final String type = id.path("type").asText("");
        final IndexRef index = IndexRef.of(collection, type).orElseThrow(() -> rudderError("Invalid id type '" + type + "'. Entity '" + entity
                + "' is served by: " + String.join(", ", IndexRef.declared(collection))));
        final StoredValue result = finder.find(Requests.query(ctx, reader.key(), collection, index, id.get("value").asText()));
        if (!(result instanceof StoredValue.Found || result instanceof StoredValue.Absent)) {
            throw ApiException.unavailable("the profile cannot be read right now: " + RecordRoutes.whyUnavailable(result));
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        try {
            out.write("{\"entity\":".getBytes(StandardCharsets.UTF_8));
            out.write(MAPPER.writeValueAsBytes(entity));
            out.write(",\"id\":".getBytes(StandardCharsets.UTF_8));
            out.write(MAPPER.writeValueAsBytes(id));
            out.write(",\"data\":".getBytes(StandardCharsets.UTF_8));
            if (result instanceof StoredValue.Found found) {
                RecordRoutes.markStale(ctx, found);
                if (reader.key().hasFieldAllowList()) {
                    out.write(RecordView.render(found.stored(), Requests.shape(reader.key()), 0));
                } else {
                    out.write(found.stored(), StoredRecord.BODY_OFFSET, StoredRecord.bodyLength(found.stored()));
                }
            } else {
                out.write("{}".getBytes(StandardCharsets.UTF_8));
            }
            out.write('}');
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        ctx.contentType("application/json");
        ctx.result(out.toByteArray());
    }

    private static ApiException rudderError(final String message) {
        return ApiException.badRequest("invalid_request", message);
    }

    private static void answer(final Context ctx, final int status, final String body) {
        ctx.status(status);
        ctx.contentType("application/json");
        ctx.result(body);
    }
}
