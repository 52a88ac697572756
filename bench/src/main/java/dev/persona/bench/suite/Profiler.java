package dev.persona.bench.suite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Profiles an instance during a measured phase, into {@code directory}: a Java Flight Recording, or with
 * {@code asyncProfiler} (the path of {@code libasyncProfiler.so}, from the {@code tools.profiler:async-profiler}
 * jar on Maven Central) async-profiler's collapsed stacks, which also show native frames (RocksDB, the JIT
 * compiler, GC) that JFR does not.
 */
record Profiler(Path directory, Path asyncProfiler) {

    void start(final ChildInstance instance) throws IOException, InterruptedException {
        if (asyncProfiler == null) {
            instance.jcmd("JFR.start", "name=bench", "settings=profile");
        } else {
            // jcmd would split unquoted options at '='.
            instance.jcmd("JVMTI.agent_load", asyncProfiler.toString(), "\"start,event=itimer,interval=1ms\"");
        }
    }

    /** Stops what {@link #start} started and writes it under {@code name}; returns the file. */
    Path stop(final ChildInstance instance, final String name) throws IOException, InterruptedException {
        Files.createDirectories(directory);
        if (asyncProfiler == null) {
            final Path file = directory.resolve(name + ".jfr");
            instance.jcmd("JFR.stop", "name=bench", "filename=" + file);
            return file;
        }
        final Path file = directory.resolve(name + ".collapsed");
        instance.jcmd("JVMTI.agent_load", asyncProfiler.toString(), "\"stop,collapsed,file=" + file + "\"");
        return file;
    }
}
