package dev.persona.runtime;

import dev.persona.config.PersonaConfig;

/** The compacted topic that holds API keys: {@code <topicPrefix>.api-keys}. */
final class KeyTopics {
    private KeyTopics() {
    }

    static String name(final PersonaConfig config) {
        return config.kafka().topicPrefix() + ".api-keys";
    }
}
