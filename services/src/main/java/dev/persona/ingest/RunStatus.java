package dev.persona.ingest;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;

/** Where a sync run stands; its wire name is what the admin API and the run-history topic carry. */
public enum RunStatus {
    RUNNING("running"), SUCCEEDED("succeeded"), FAILED("failed"),
    /** Stopped on request ({@code persona syncs cancel}): nothing of it was applied. */
    CANCELLED("cancelled");

    private final String wireName;

    RunStatus(final String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** The status a wire name names. */
    @JsonCreator
    public static RunStatus of(final String wireName) {
        return Arrays.stream(values()).filter(s -> s.wireName.equals(wireName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("not a run status: '" + wireName + "'"));
    }
}
