package dev.persona;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * Persona's packages follow its data flow: configuration, the topology, the Kafka parts everything shares, then
 * ingest, routing, keys and the cluster view, the HTTP API over them, the application root, and the command line
 * (with the demo) on top. Nothing imports upwards, and no two packages import each other.
 */
class ArchitectureTest {
    private static final JavaClasses PERSONA = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.persona");

    @Test
    void shouldImportOnlyDownwardsAlongTheDataFlow() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("config").definedBy("dev.persona.config..")
                .layer("topology").definedBy("dev.persona.topology..")
                .layer("kafka").definedBy("dev.persona.kafka..")
                .layer("ingest").definedBy("dev.persona.ingest..")
                .layer("routing").definedBy("dev.persona.routing..")
                .layer("changes").definedBy("dev.persona.changes..")
                .layer("purge").definedBy("dev.persona.purge..")
                .layer("drivers").definedBy("dev.persona.drivers..")
                .layer("keys").definedBy("dev.persona.keys..")
                .layer("cluster").definedBy("dev.persona.cluster..")
                .layer("tls").definedBy("dev.persona.tls..")
                .layer("api").definedBy("dev.persona.api..")
                .layer("runtime").definedBy("dev.persona.runtime..")
                .layer("demo").definedBy("dev.persona.demo..")
                .layer("cli").definedBy("dev.persona.cli..")
                .whereLayer("cli").mayNotBeAccessedByAnyLayer()
                .whereLayer("demo").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("runtime").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("api").mayOnlyBeAccessedByLayers("runtime")
                .whereLayer("ingest").mayOnlyBeAccessedByLayers("api", "runtime")
                .whereLayer("routing").mayOnlyBeAccessedByLayers("api", "runtime")
                .whereLayer("changes").mayOnlyBeAccessedByLayers("api", "runtime")
                .whereLayer("purge").mayOnlyBeAccessedByLayers("api", "runtime")
                .whereLayer("drivers").mayOnlyBeAccessedByLayers("runtime", "cli")
                .whereLayer("keys").mayOnlyBeAccessedByLayers("api", "runtime", "cli")
                .whereLayer("cluster").mayOnlyBeAccessedByLayers("api", "runtime")
                .whereLayer("tls").mayOnlyBeAccessedByLayers("api", "runtime", "cli")
                .whereLayer("kafka").mayOnlyBeAccessedByLayers("ingest", "routing", "keys", "cluster", "api", "runtime", "cli")
                .whereLayer("topology").mayOnlyBeAccessedByLayers("kafka", "ingest", "routing", "changes", "purge", "keys", "cluster", "tls", "api", "runtime", "cli")
                .check(PERSONA);
    }

    /** The merge's processors and their parts may change shape freely: only the topology module reaches them. */
    @Test
    void shouldLeaveTheTopologysInternalsToTheTopology() {
        noClasses().that().resideOutsideOfPackage("dev.persona.topology..")
                .should().dependOnClassesThat().resideInAPackage("dev.persona.topology.internals..")
                .check(PERSONA);
    }

    @Test
    void shouldHaveNoPackageCycles() {
        slices().matching("dev.persona.(*)..").should().beFreeOfCycles().check(PERSONA);
    }
}
