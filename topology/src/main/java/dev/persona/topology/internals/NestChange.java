package dev.persona.topology.internals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.topology.ChangeRow;

/**
 * A child row of a nested sync after its mapping, still keyed by its own primary key.
 *
 * @param child   the child's primary key
 * @param op      upsert or delete
 * @param element what the parent's array shows of it (its mapped fields and its key); null for a delete
 * @param parent  the parent's primary index value, from the row's {@code parentKey} column; null when a delete carries
 *                none (the router remembers where the child went)
 * @param order   the value elements are ordered by, or null
 * @param version the change's version, or null
 * @param ts      when it happened, epoch milliseconds
 */
public record NestChange(String child, ChangeRow.Op op, ObjectNode element, String parent, JsonNode order, Long version, long ts) {
}
