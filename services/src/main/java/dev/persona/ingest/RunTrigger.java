package dev.persona.ingest;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;

/** What started a sync run; its wire name is what the admin API and the run-history topic carry. */
public enum RunTrigger {
    /** The query sync's schedule. */
    SCHEDULE("schedule"),
    /** A run request ({@code persona syncs run ID}). */
    MANUAL("manual"),
    /** A full-resync request ({@code --full}). */
    FULL("full"),
    /** A CDC engine's start: one long run per start. */
    START("start");

    private final String wireName;

    RunTrigger(final String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** The trigger a wire name names. */
    @JsonCreator
    public static RunTrigger of(final String wireName) {
        return Arrays.stream(values()).filter(t -> t.wireName.equals(wireName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("not a run trigger: '" + wireName + "'"));
    }
}
