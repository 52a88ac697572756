package dev.persona.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * A node of the YAML tree that knows its key path, so every error it raises names the file and the key.
 * Environment references in scalars are resolved as they are read.
 */
final class ConfigNode {
    private final JsonNode node;
    private final String path;
    private final String file;
    private final EnvironmentSubstitution env;

    ConfigNode(final JsonNode node, final String path, final String file, final EnvironmentSubstitution env) {
        this.node = node;
        this.path = path;
        this.file = file;
        this.env = env;
    }

    String path() {
        return path;
    }

    ConfigException error(final String problem, final String fix) {
        return new ConfigException(file, path, problem, fix);
    }

    ConfigException error(final String key, final String problem, final String fix) {
        return new ConfigException(file, child(key), problem, fix);
    }

    boolean isMissing() {
        return node == null || node.isNull() || node.isMissingNode();
    }

    boolean isObject() {
        return node != null && node.isObject();
    }

    /** Fails when the object holds keys other than these, naming the closest known key. */
    void allowOnly(final Set<String> keys) {
        requireObject();
        final Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            final String name = names.next();
            if (!keys.contains(name)) {
                final String hint = closest(name, keys).map(k -> "did you mean '" + k + "'? ").orElse("");
                throw error(name, "unknown key", hint + "known keys here: " + String.join(", ", keys.stream().sorted().toList()));
            }
        }
    }

    ConfigNode get(final String key) {
        requireObject();
        return new ConfigNode(node.get(key), child(key), file, env);
    }

    Optional<String> optionalString(final String key) {
        final ConfigNode child = get(key);
        if (child.isMissing()) {
            return Optional.empty();
        }
        if (!child.node.isValueNode()) {
            throw child.error("expected a text value, found " + describe(child.node), "write a single value");
        }
        final String value = env.apply(child.node.asText()).trim();
        return value.isEmpty() ? Optional.empty() : Optional.of(value);
    }

    String requiredString(final String key, final String fix) {
        return optionalString(key).orElseThrow(() -> error(key, "missing", fix));
    }

    int optionalInt(final String key, final int fallback) {
        final Optional<String> text = optionalString(key);
        if (text.isEmpty()) {
            return fallback;
        }
        try {
            return Integer.parseInt(text.get());
        } catch (final NumberFormatException e) {
            throw error(key, "expected a whole number, found '" + text.get() + "'", "write a number such as " + fallback);
        }
    }

    boolean optionalBoolean(final String key, final boolean fallback) {
        final Optional<String> text = optionalString(key);
        if (text.isEmpty()) {
            return fallback;
        }
        return switch (text.get()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw error(key, "expected true or false, found '" + text.get() + "'", "write true or false");
        };
    }

    <E extends Enum<E>> E optionalEnum(final String key, final E fallback, final Function<E, String> spelling) {
        final Optional<String> text = optionalString(key);
        if (text.isEmpty()) {
            return fallback;
        }
        final E[] values = fallback.getDeclaringClass().getEnumConstants();
        for (final E value : values) {
            if (spelling.apply(value).equals(text.get())) {
                return value;
            }
        }
        final List<String> allowed = new ArrayList<>();
        for (final E value : values) {
            allowed.add(spelling.apply(value));
        }
        throw error(key, "'" + text.get() + "' is not one of " + String.join(" | ", allowed), "use one of " + String.join(", ", allowed));
    }

    /** The elements of a list; a missing key is an empty list. */
    List<ConfigNode> list(final String key) {
        final ConfigNode child = get(key);
        if (child.isMissing()) {
            return List.of();
        }
        if (!child.node.isArray()) {
            throw child.error("expected a list, found " + describe(child.node), "write a YAML list ('- item' lines or [a, b])");
        }
        final List<ConfigNode> items = new ArrayList<>();
        for (int i = 0; i < child.node.size(); i++) {
            items.add(new ConfigNode(child.node.get(i), child.path + "[" + i + "]", file, env));
        }
        return items;
    }

    /** This node as a single text value. */
    String scalar(final String fix) {
        if (isMissing() || !node.isValueNode()) {
            throw error("expected a name, found " + describe(node), fix);
        }
        return env.apply(node.asText()).trim();
    }

    /** A list of plain strings; a missing key is an empty list. */
    List<String> stringList(final String key) {
        final List<String> values = new ArrayList<>();
        for (final ConfigNode item : list(key)) {
            if (item.isMissing() || !item.node.isValueNode()) {
                throw item.error("expected a name, found " + describe(item.node), "write a list of names");
            }
            values.add(env.apply(item.node.asText()).trim());
        }
        return values;
    }

    /** A map of string values; a missing key is an empty map. */
    Map<String, String> stringMap(final String key) {
        final ConfigNode child = get(key);
        if (child.isMissing()) {
            return Map.of();
        }
        child.requireObject();
        final Map<String, String> values = new LinkedHashMap<>();
        child.node.fields().forEachRemaining(e -> {
            if (!e.getValue().isValueNode()) {
                throw child.error(e.getKey(), "expected a single value", "write the property as 'name: value'");
            }
            final String value = env.apply(e.getValue().asText());
            if (!value.isEmpty()) {
                values.put(e.getKey(), value);
            }
        });
        return values;
    }

    private void requireObject() {
        if (node == null || !node.isObject()) {
            throw error("expected a mapping of keys, found " + describe(node), "write 'key: value' lines here");
        }
    }

    private String child(final String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static String describe(final JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return "nothing";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isObject()) {
            return "a mapping";
        }
        return "'" + node.asText() + "'";
    }

    private static Optional<String> closest(final String name, final Set<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (final String candidate : candidates) {
            final int d = distance(name.toLowerCase(), candidate.toLowerCase());
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        return bestDistance <= Math.max(2, name.length() / 3) ? Optional.ofNullable(best) : Optional.empty();
    }

    private static int distance(final String a, final String b) {
        final int[] previous = new int[b.length() + 1];
        final int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                final int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            System.arraycopy(current, 0, previous, 0, current.length);
        }
        return previous[b.length()];
    }
}
