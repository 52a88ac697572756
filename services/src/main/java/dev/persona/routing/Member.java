package dev.persona.routing;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.state.HostInfo;

import java.util.Set;

/**
 * One instance of the cluster as the group's assignment has it: the input partitions it processes (active) and those
 * it keeps standby copies of.
 *
 * @param host    its advertised address
 * @param active  the partitions of input topics whose tasks it runs
 * @param standby the partitions of input topics whose tasks' state it keeps as standby copies
 */
public record Member(HostInfo host, Set<TopicPartition> active, Set<TopicPartition> standby) {
}
