package dev.persona.topology.internals;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.persona.config.FieldMapping;
import dev.persona.config.LiquidTemplates;
import dev.persona.config.SyncConfig;
import dev.persona.topology.ChangeRow;
import dev.persona.topology.Json;
import dev.persona.topology.MalformedRowException;
import liqp.Template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Applies one sync's field mapping to its rows: copies ({@code from}, renamed by {@code to}) keep the column's JSON
 * value, nested objects and arrays included; Liquid templates render over the row's columns and are typed by the
 * mapping's {@code type}. A column absent from the row leaves its field untouched; a null column stores null.
 * Likewise a template renders only when the row has at least one column the template names (or when it names
 * none), so partial rows do not overwrite a rendered field with the template's empty output. With
 * {@code include: "*"}, every other column of the row is copied under its own name too (see
 * {@link SyncConfig.IncludeAll} for what it leaves out).
 */
public final class RowMapper {
    private static final ObjectMapper MAPPER = Json.mapper();
    private static final Pattern JSON_NUMBER = Pattern.compile("-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?");

    private final SyncConfig sync;
    private final List<CompiledField> fields;
    private final boolean hasTemplates;

    public RowMapper(final SyncConfig sync) {
        this.sync = sync;
        this.fields = new ArrayList<>();
        for (final FieldMapping mapping : sync.mapping()) {
            fields.add(new CompiledField(mapping, mapping.template().map(LiquidTemplates::compile).orElse(null),
                    mapping.template().map(LiquidTemplates::namesIn).orElse(Set.of())));
        }
        this.hasTemplates = fields.stream().anyMatch(f -> f.template != null);
    }

    /**
     * Maps one change row.
     *
     * @param fallbackTs the Kafka record's timestamp, used when the row carries no {@code ts}
     * @throws MalformedRowException when a template fails or its output does not fit the mapping's type
     */
    public SyncChange map(final ChangeRow row, final long fallbackTs) {
        final long ts = row.ts() != null ? row.ts() : fallbackTs;
        final JsonNode keyValue = row.row() == null ? null : row.row().get(sync.primaryKey());
        final ObjectNode values = MAPPER.createObjectNode();
        if (row.op() == ChangeRow.Op.UPSERT) {
            final Map<String, Object> variables = hasTemplates ? variables(row.row()) : null;
            for (final CompiledField field : fields) {
                if (field.template != null) {
                    if (field.names.isEmpty() || field.names.stream().anyMatch(row.row()::has)) {
                        values.set(field.mapping.to(), render(field, variables));
                    }
                } else {
                    final JsonNode value = row.row().get(field.mapping.from().orElseThrow());
                    if (value != null) {
                        values.set(field.mapping.to(), value);
                    }
                }
            }
            sync.includeAll().ifPresent(all -> row.row().fields().forEachRemaining(column -> {
                if (all.includes(column.getKey())) {
                    values.set(column.getKey(), column.getValue());
                }
            }));
        }
        return new SyncChange(sync.id(), row.op(), values, keyValue, row.version(), ts, false, null);
    }

    /**
     * Maps one child row of a nested sync: the element its parent's array shows (its mapped fields, and its primary
     * key under the key column's name unless mapped), its parent and its order value.
     *
     * @throws MalformedRowException when an upsert names no parent in its {@code parentKey} column
     */
    public NestChange mapNested(final ChangeRow row, final long fallbackTs) {
        final SyncConfig.Nest nest = sync.nest().orElseThrow();
        final SyncChange mapped = map(row, fallbackTs);
        final JsonNode parent = row.row() == null ? null : row.row().get(nest.parentKey());
        final boolean noParent = parent == null || parent.isNull() || parent.asText().isEmpty();
        if (row.op() == ChangeRow.Op.DELETE) {
            return new NestChange(row.key(), row.op(), null, noParent ? null : parent.asText(), null, row.version(), mapped.ts());
        }
        if (noParent) {
            throw new MalformedRowException("the row has no parent: its column '" + nest.parentKey() + "' (nest.parentKey) is missing or empty");
        }
        final ObjectNode element = MAPPER.createObjectNode();
        if (!mapped.fields().has(sync.primaryKey())) {
            element.set(sync.primaryKey(), mapped.keyValue() != null ? mapped.keyValue() : TextNode.valueOf(row.key()));
        }
        element.setAll(mapped.fields());
        final JsonNode order = nest.orderBy().map(column -> row.row().get(column)).orElse(element.get(sync.primaryKey()));
        return new NestChange(row.key(), row.op(), element, parent.asText(), order, row.version(), mapped.ts());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> variables(final ObjectNode row) {
        return MAPPER.convertValue(row, Map.class);
    }

    private static JsonNode render(final CompiledField field, final Map<String, Object> variables) {
        final String output;
        try {
            output = field.template.render(variables);
        } catch (final RuntimeException e) {
            throw new MalformedRowException("template for '" + field.mapping.to() + "' failed: " + e.getMessage());
        }
        final String trimmed = output.trim();
        return switch (field.mapping.type()) {
            case STRING -> TextNode.valueOf(output);
            case NUMBER -> {
                if (!JSON_NUMBER.matcher(trimmed).matches()) {
                    throw new MalformedRowException("template for '" + field.mapping.to() + "' gave '" + output + "', not a number");
                }
                yield parse(trimmed, field);
            }
            case BOOLEAN -> {
                if (!trimmed.equals("true") && !trimmed.equals("false")) {
                    throw new MalformedRowException("template for '" + field.mapping.to() + "' gave '" + output + "', not true or false");
                }
                yield BooleanNode.valueOf(trimmed.equals("true"));
            }
            case JSON -> parse(trimmed, field);
            case AUTO -> autoTyped(output, trimmed, field);
        };
    }

    private static JsonNode autoTyped(final String output, final String trimmed, final CompiledField field) {
        if (JSON_NUMBER.matcher(trimmed).matches()) {
            return parse(trimmed, field);
        }
        if (trimmed.equals("true") || trimmed.equals("false")) {
            return BooleanNode.valueOf(trimmed.equals("true"));
        }
        if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
            try {
                return MAPPER.readTree(trimmed);
            } catch (final JsonProcessingException e) {
                return TextNode.valueOf(output);
            }
        }
        return TextNode.valueOf(output);
    }

    private static JsonNode parse(final String text, final CompiledField field) {
        try {
            return MAPPER.readTree(text);
        } catch (final JsonProcessingException e) {
            throw new MalformedRowException("template for '" + field.mapping.to() + "' gave '" + text + "', not " + field.mapping.type().configName());
        }
    }

    private record CompiledField(FieldMapping mapping, Template template, Set<String> names) {
    }
}
