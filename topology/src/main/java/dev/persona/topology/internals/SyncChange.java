package dev.persona.topology.internals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.topology.ChangeRow;

/**
 * A change row after its sync's mapping: the owned fields it sets, ready to merge.
 *
 * @param sync     the sync id
 * @param op       upsert or delete
 * @param fields   the owned fields this change sets (upserts), in mapping order
 * @param keyValue the primary-key column as the row had it (keeps its JSON type); null when the row had none
 * @param version  the change's version, or null
 * @param ts       when it happened, epoch milliseconds
 * @param replayed read again from its topic by a resync ({@link dev.persona.topology.Replays#HEADER}): applied only
 *                 when no later change of its sync reached the record meanwhile
 * @param run      the id of the sync run that produced it ({@link dev.persona.topology.RunSamples#RUN_HEADER}), or null:
 *                 its merge may be sampled for the run debugger
 */
public record SyncChange(String sync, ChangeRow.Op op, ObjectNode fields, JsonNode keyValue, Long version, long ts, boolean replayed,
                         String run) implements CollectionChange {
}
