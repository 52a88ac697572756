package dev.persona.bench;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The benchmarks measure Persona through what its modules publish, as the services do (services' ArchitectureTest
 * states the same rule for them): the topology's internals may change shape without a benchmark noticing.
 */
class BenchArchitectureTest {
    private static final JavaClasses BENCH = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.persona.bench", "dev.persona.ingest");

    @Test
    void shouldMeasureTheMergeWithoutTheTopologysInternals() {
        noClasses().that().resideOutsideOfPackage("dev.persona.topology..")
                .should().dependOnClassesThat().resideInAPackage("dev.persona.topology.internals..")
                .check(BENCH);
    }
}
