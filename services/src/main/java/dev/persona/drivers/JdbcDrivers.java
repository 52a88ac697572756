package dev.persona.drivers;

import dev.persona.config.ConfigException;
import dev.persona.config.PersonaConfig;
import dev.persona.config.SourceConfig;
import dev.persona.config.SyncConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * JDBC drivers for query syncs. PostgreSQL, DuckDB, MySQL and MariaDB ship with Persona; any other (Snowflake,
 * BigQuery, Redshift, Databricks, ClickHouse, Trino, SQL Server, Oracle...) is loaded from the jars of
 * {@code $PERSONA_HOME/drivers/} and of the configuration's {@code drivers:} directory, each directory in a class
 * loader of its own (its parent the JDK's platform loader, so a driver's libraries never clash with Persona's), and
 * registered with {@link DriverManager} through a {@link DriverShim}, which DriverManager accepts from any loader.
 * A query sync whose URL no driver accepts stops start-up naming the URL's scheme (never the URL, which may hold a
 * password), the directories looked in and the artifact to put there.
 */
public final class JdbcDrivers {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcDrivers.class);
    /** Directories already loaded, in this process: loading twice would register every driver twice. */
    private static final Set<Path> LOADED = ConcurrentHashMap.newKeySet();
    /** Where the driver of a scheme is found, for the message that asks for it. */
    private static final Map<String, String> ARTIFACTS = Map.ofEntries(
            Map.entry("jdbc:snowflake", "net.snowflake:snowflake-jdbc"),
            Map.entry("jdbc:bigquery", "com.google.cloud:google-cloud-bigquery-jdbc (or Google's Simba BigQuery JDBC driver)"),
            Map.entry("jdbc:redshift", "com.amazon.redshift:redshift-jdbc42"),
            Map.entry("jdbc:databricks", "com.databricks:databricks-jdbc"),
            Map.entry("jdbc:clickhouse", "com.clickhouse:clickhouse-jdbc (the 'all' classifier: one jar with its dependencies)"),
            Map.entry("jdbc:ch", "com.clickhouse:clickhouse-jdbc (the 'all' classifier)"),
            Map.entry("jdbc:trino", "io.trino:trino-jdbc"),
            Map.entry("jdbc:sqlserver", "com.microsoft.sqlserver:mssql-jdbc"),
            Map.entry("jdbc:oracle", "com.oracle.database.jdbc:ojdbc11"),
            Map.entry("jdbc:h2", "com.h2database:h2"),
            Map.entry("jdbc:sqlite", "org.xerial:sqlite-jdbc"),
            Map.entry("jdbc:hsqldb", "org.hsqldb:hsqldb"));

    private JdbcDrivers() {
    }

    /** The directories drivers are loaded from: {@code home/drivers}, and the configuration's {@code drivers:}. */
    public static List<Path> directories(final PersonaConfig config, final Path home) {
        final List<Path> dirs = new ArrayList<>();
        dirs.add(home.resolve("drivers").toAbsolutePath().normalize());
        config.drivers().map(d -> d.toAbsolutePath().normalize()).filter(d -> !dirs.contains(d)).ifPresent(dirs::add);
        return dirs;
    }

    /**
     * Loads the drivers of {@code dirs} (a missing directory has none), then checks that every query sync's URL has a
     * driver.
     *
     * @throws ConfigException naming the sync's connection, the scheme, the directories and the artifact, when one
     *                         has none; or naming the {@code drivers} key when a configured directory is missing
     */
    public static void loadAndCheck(final PersonaConfig config, final List<Path> dirs) {
        config.drivers().ifPresent(d -> {
            if (!Files.isDirectory(d)) {
                throw new ConfigException(config.file().toString(), "drivers", "'" + d + "' is not a directory",
                        "create it and put JDBC driver jars in it, or remove the key ($PERSONA_HOME/drivers is read anyway)");
            }
        });
        dirs.forEach(JdbcDrivers::load);
        for (int i = 0; i < config.syncs().size(); i++) {
            final SyncConfig sync = config.syncs().get(i);
            // CDC reads through Debezium's own drivers; a query sync needs one for its URL.
            final java.util.Optional<String> url = sync.source().on(cdc -> java.util.Optional.empty(), query -> java.util.Optional.of(query.connection()),
                    topic -> java.util.Optional.empty());
            if (url.isPresent() && !hasDriver(url.get())) {
                final String scheme = SourceConfig.scheme(url.get());
                throw new ConfigException(config.file().toString(), "syncs[" + i + "].source.connection",
                        "no JDBC driver here accepts a '" + scheme + "' URL (looked on Persona's class path and in " + dirs + ")",
                        "put the driver's jar" + (ARTIFACTS.containsKey(scheme) ? " (Maven artifact " + ARTIFACTS.get(scheme) + ")" : "")
                                + " in " + dirs.get(0) + (config.drivers().isPresent() ? " or " + config.drivers().get() : "")
                                + ", then start again; docs/sources.md lists each warehouse's driver and URL");
            }
        }
    }

    private static boolean hasDriver(final String url) {
        try {
            return DriverManager.getDriver(url) != null;
        } catch (final SQLException e) {
            return false;
        }
    }

    /**
     * Whether a file is a jar that can be read. A damaged or half-downloaded jar would make the service loader fail
     * for the whole directory, leaving the good drivers beside it unloaded: it is skipped, and named.
     */
    private static boolean readable(final Path jar) {
        try (java.util.jar.JarFile ignored = new java.util.jar.JarFile(jar.toFile())) {
            return true;
        } catch (final IOException e) {
            LOG.warn("Skipping {}: not a readable jar ({}); download the driver's jar again", jar, e.getMessage());
            return false;
        }
    }

    /** Registers every driver in the jars of {@code dir}, once per process. */
    static void load(final Path dir) {
        if (!Files.isDirectory(dir) || !LOADED.add(dir)) {
            return;
        }
        final List<URL> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (final Path jar : files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                if (readable(jar)) {
                    jars.add(jar.toUri().toURL());
                }
            }
        } catch (final MalformedURLException e) {
            throw new IllegalStateException(e);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot list the drivers directory " + dir, e);
        }
        if (jars.isEmpty()) {
            return;
        }
        // Never closed: the drivers' classes live as long as the process.
        final URLClassLoader loader = new URLClassLoader("persona-drivers-" + dir.getFileName(), jars.toArray(URL[]::new),
                ClassLoader.getPlatformClassLoader());
        final List<String> names = new ArrayList<>();
        try {
            for (final Driver driver : ServiceLoader.load(Driver.class, loader)) {
                DriverManager.registerDriver(new DriverShim(driver));
                names.add(driver.getClass().getName());
            }
        } catch (final SQLException | ServiceConfigurationError e) {
            LOG.warn("Loading the JDBC drivers of {} failed part way: {}", dir, e.getMessage());
        }
        LOG.info("JDBC drivers from {}: {}", dir, names.isEmpty() ? "none found in " + jars.size() + " jar(s)" : names);
    }
}
