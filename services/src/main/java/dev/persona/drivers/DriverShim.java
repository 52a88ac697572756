package dev.persona.drivers;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * A driver loaded from a drivers directory, as {@link java.sql.DriverManager} sees it. DriverManager hands out only
 * drivers whose class the caller's class loader can load; this class is Persona's own, the driver it wraps is not.
 */
final class DriverShim implements Driver {
    private final Driver driver;

    DriverShim(final Driver driver) {
        this.driver = driver;
    }

    @Override
    public Connection connect(final String url, final Properties info) throws SQLException {
        return driver.connect(url, info);
    }

    @Override
    public boolean acceptsURL(final String url) throws SQLException {
        return driver.acceptsURL(url);
    }

    @Override
    public DriverPropertyInfo[] getPropertyInfo(final String url, final Properties info) throws SQLException {
        return driver.getPropertyInfo(url, info);
    }

    @Override
    public int getMajorVersion() {
        return driver.getMajorVersion();
    }

    @Override
    public int getMinorVersion() {
        return driver.getMinorVersion();
    }

    @Override
    public boolean jdbcCompliant() {
        return driver.jdbcCompliant();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return driver.getParentLogger();
    }

    @Override
    public String toString() {
        return "DriverShim(" + driver.getClass().getName() + ")";
    }
}
