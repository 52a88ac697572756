package dev.persona.config;

import java.util.Optional;

/**
 * One field of a record that a sync owns: copied from a source column ({@code from}), or rendered by a
 * Liquid {@code template} over the row's columns, and stored under {@code to}.
 *
 * @param from     the source column, when the field is copied
 * @param template the Liquid template, when the field is rendered
 * @param to       the record field
 * @param type     how a template's output is typed; {@link ValueType#AUTO} for copied fields
 */
public record FieldMapping(Optional<String> from, Optional<String> template, String to, ValueType type) {

    /** A field copied from a column of the same name. */
    public static FieldMapping fromColumn(final String column) {
        return new FieldMapping(Optional.of(column), Optional.empty(), column, ValueType.AUTO);
    }

    /** A field copied from a column and renamed. */
    public static FieldMapping fromColumn(final String column, final String to) {
        return new FieldMapping(Optional.of(column), Optional.empty(), to, ValueType.AUTO);
    }

    /** A field rendered by a Liquid template. */
    public static FieldMapping fromTemplate(final String template, final String to) {
        return new FieldMapping(Optional.empty(), Optional.of(template), to, ValueType.AUTO);
    }
}
