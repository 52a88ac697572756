package dev.persona.config;

import java.util.List;

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
 */
public record SyncConfig(String id, String collection, SourceConfig source, String primaryKey,
                         List<FieldMapping> mapping, OnDelete onDelete, List<AlertChannel> alerts, java.time.Duration alertReminder) {
    public static final java.time.Duration DEFAULT_ALERT_REMINDER = java.time.Duration.ofHours(1);

    public SyncConfig {
        mapping = List.copyOf(mapping);
        alerts = List.copyOf(alerts);
    }

    /** The record fields this sync owns, in mapping order. */
    public List<String> ownedFields() {
        return mapping.stream().map(FieldMapping::to).toList();
    }
}
