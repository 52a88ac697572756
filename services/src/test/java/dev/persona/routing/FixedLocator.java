package dev.persona.routing;

import org.apache.kafka.streams.state.HostInfo;

import java.util.List;

/** A running instance at {@code self} that finds every key at {@code location}: the read path's tests without Streams. */
record FixedLocator(HostInfo self, KeyLocation location) implements KeyLocator {

    @Override
    public KeyLocation locate(final String store, final String key) {
        return location;
    }

    @Override
    public List<Member> members() {
        return List.of();
    }

    @Override
    public boolean running() {
        return true;
    }

    @Override
    public String state() {
        return "RUNNING";
    }
}
