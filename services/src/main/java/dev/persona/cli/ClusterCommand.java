package dev.persona.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code persona cluster}: who owns which partitions. */
@Command(name = "cluster", description = "Which instance owns which partitions, lag, restoration. (Not built yet: arrives with the cluster operations issue.)")
final class ClusterCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return NotBuiltYet.report("cluster", "arrives with the cluster operations issue");
    }
}
