package dev.persona.topology;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.persona.config.CollectionConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The value of an index store entry: every record that claims the index value, with the time of its claim. The
 * most recent claim wins (ties go to the greater key); when the winner lets the value go, the next most recent
 * claimant wins. Keys of the index store are {@link #key(String, String)}.
 */
public final class IndexEntry {
    private static final ObjectMapper MAPPER = Json.mapper();
    /**
     * Claims are keyed by record ids: field names that are different in almost every entry. Canonicalising and
     * interning them (Jackson's default, a synchronised intern table) grew and rehashed a symbol table on every
     * lookup and serialised the HTTP threads on it.
     */
    private static final JsonFactory CLAIMS = JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .build();

    private IndexEntry() {
    }

    /**
     * The one rule of what a record field holds for an index: its value as text, folded where the index ignores
     * case; null when the field is absent, null, empty, or not a single value (an object or an array). The merge
     * indexes by it, lookups check records by it.
     */
    public static String valueOf(final CollectionConfig collection, final String index, final JsonNode field) {
        if (field == null || field.isNull() || !field.isValueNode()) {
            return null;
        }
        return textValueOf(collection, index, field.asText());
    }

    /** {@link #valueOf} for a field read as text (a JSON string): null when empty. */
    public static String textValueOf(final CollectionConfig collection, final String index, final String text) {
        return text.isEmpty() ? null : collection.indexValue(index, text);
    }

    /** The index store key of a value of an index: the index name, a NUL, the (folded) value. */
    public static String key(final String index, final String value) {
        return index + '\u0000' + value;
    }

    /** Primary key -> claim time, from a stored entry (empty for null). */
    public static Map<String, Long> claims(final byte[] stored) {
        if (stored == null) {
            return new LinkedHashMap<>();
        }
        // Read with the streaming parser: every secondary-index lookup reads one entry, and databind's map
        // deserialiser was a third of that lookup's CPU.
        final Map<String, Long> claims = new LinkedHashMap<>();
        try (JsonParser parser = CLAIMS.createParser(stored)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new UncheckedIOException(new IOException("corrupt index entry: not an object"));
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                final String key = parser.currentName();
                if (parser.nextToken() != JsonToken.VALUE_NUMBER_INT) {
                    throw new UncheckedIOException(new IOException("corrupt index entry: the claim of '" + key + "' is not a time"));
                }
                claims.put(key, parser.getLongValue());
            }
            return claims;
        } catch (final IOException e) {
            throw new UncheckedIOException("corrupt index entry", e);
        }
    }

    /** The record the value points to. */
    public static Optional<String> winner(final Map<String, Long> claims) {
        return claims.entrySet().stream()
                .max(Comparator.<Map.Entry<String, Long>>comparingLong(Map.Entry::getValue).thenComparing(Map.Entry::getKey))
                .map(Map.Entry::getKey);
    }

    /** The stored form of claims. */
    public static byte[] encode(final Map<String, Long> claims) {
        try {
            return MAPPER.writeValueAsBytes(claims);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
