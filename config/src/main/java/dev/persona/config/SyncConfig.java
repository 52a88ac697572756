package dev.persona.config;

import java.util.List;
import java.util.Optional;

/**
 * One source feeding one collection.
 *
 * @param id         alphanumeric, unique across the file
 * @param collection the collection it feeds
 * @param source     where its rows come from
 * @param primaryKey the source column holding the record key
 * @param mapping    the fields it owns
 * @param onDelete   what a row leaving the source does
 * @param alerts     where the sync's state changes go: when it starts failing, while it keeps failing (every
 *                   {@code alertReminder}), and when it recovers
 * @param alertReminder how often a sync that keeps failing is reported again
 * @param includeAll besides {@code mapping}, every other column of each row, under its own name
 *                   ({@code - include: "*"}, RudderStack's default), if so
 * @param nest       each row becomes an element of an array in its parent record, rather than a record, if so
 */
public record SyncConfig(String id, String collection, SourceConfig source, String primaryKey,
                         List<FieldMapping> mapping, OnDelete onDelete, List<AlertChannel> alerts, java.time.Duration alertReminder,
                         Optional<IncludeAll> includeAll, Optional<Nest> nest) {
    public static final java.time.Duration DEFAULT_ALERT_REMINDER = java.time.Duration.ofHours(1);

    public SyncConfig {
        mapping = List.copyOf(mapping);
        alerts = List.copyOf(alerts);
    }

    /** A sync that maps only what {@code mapping} names. */
    public SyncConfig(final String id, final String collection, final SourceConfig source, final String primaryKey,
                      final List<FieldMapping> mapping, final OnDelete onDelete, final List<AlertChannel> alerts,
                      final java.time.Duration alertReminder) {
        this(id, collection, source, primaryKey, mapping, onDelete, alerts, alertReminder, Optional.empty(), Optional.empty());
    }

    /** A sync that may copy every column, and nests nothing. */
    public SyncConfig(final String id, final String collection, final SourceConfig source, final String primaryKey,
                      final List<FieldMapping> mapping, final OnDelete onDelete, final List<AlertChannel> alerts,
                      final java.time.Duration alertReminder, final Optional<IncludeAll> includeAll) {
        this(id, collection, source, primaryKey, mapping, onDelete, alerts, alertReminder, includeAll, Optional.empty());
    }

    /**
     * {@code nest:}: child rows nested into their parent. Each row's mapped fields (and its primary key) become one
     * element of the array {@code into} of the record whose primary index equals the row's {@code parentKey} column;
     * the array is ordered by {@code orderBy} and holds at most {@code limit} elements. The sync owns {@code into}.
     *
     * @param into       the array field of the parent record
     * @param parentKey  the row column holding the parent's primary index value
     * @param orderBy    the row column elements are ordered by; the child's primary key when not given
     * @param descending whether larger values come first
     * @param limit      the most elements the array shows
     */
    public record Nest(String into, String parentKey, Optional<String> orderBy, boolean descending, int limit) {
        /** The array's length unless {@code limit} says otherwise. */
        public static final int DEFAULT_LIMIT = 50;
        /** The largest {@code limit}: every element of the array travels with every change of the record. */
        public static final int MAX_LIMIT = 1_000;
    }

    /**
     * {@code - include: "*"} in a mapping: every column of a row becomes a field of the same name, except
     * {@code exclude}, and except what {@code skipped} adds: the primary key column, the columns this sync's own
     * mappings read or write, and the fields other syncs of the collection own (explicit owners win).
     *
     * @param exclude the columns the configuration leaves out
     * @param skipped every column the inclusion leaves out, {@code exclude} included
     */
    public record IncludeAll(java.util.Set<String> exclude, java.util.Set<String> skipped) {
        public IncludeAll {
            exclude = java.util.Set.copyOf(exclude);
            skipped = java.util.Set.copyOf(skipped);
        }

        /** Whether a column of a row becomes a field of the same name. */
        public boolean includes(final String column) {
            return !skipped.contains(column);
        }
    }

    /**
     * Whether this sync, as configured now, may write {@code field}: one it maps, or, with {@link #includeAll}, any
     * field the inclusion does not leave out. A field the sync wrote under an older configuration and may no longer
     * write is removed by the next change of its row (a full resync removes them all).
     */
    public boolean mayWrite(final String field) {
        return ownedFields().contains(field) || includeAll.map(all -> all.includes(field)).orElse(false);
    }

    /**
     * The columns of a source row this sync reads: its primary key, each mapping's {@code from}, every name in its
     * templates (a superset), and a nested sync's parent key and order; empty when it copies every column
     * ({@code include: "*"}). A CDC source captures only these, so a column no mapping reads never reaches Kafka.
     */
    public Optional<java.util.SortedSet<String>> columnsRead() {
        if (includeAll.isPresent()) {
            return Optional.empty();
        }
        final java.util.SortedSet<String> columns = new java.util.TreeSet<>();
        columns.add(primaryKey);
        for (final FieldMapping field : mapping) {
            field.from().ifPresent(columns::add);
            field.template().map(LiquidTemplates::namesIn).ifPresent(columns::addAll);
        }
        nest.ifPresent(n -> {
            columns.add(n.parentKey());
            n.orderBy().ifPresent(columns::add);
        });
        return Optional.of(columns);
    }

    /** The record fields this sync owns, in mapping order; a nested sync owns its array alone. */
    public List<String> ownedFields() {
        if (nest.isPresent()) {
            return List.of(nest.get().into());
        }
        return mapping.stream().map(FieldMapping::to).toList();
    }
}
