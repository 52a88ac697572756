package dev.persona.ingest.cdc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * The JDBC driver Persona gives Debezium's MySQL connector ({@code database.jdbc.driver}): MySQL Connector/J, unchanged
 * on MySQL. On MariaDB it translates the one statement the connector asks that MariaDB does not know: Debezium 3.x
 * takes any server version above 8.3 for MySQL 8.4 and reads the binary log position with {@code SHOW BINARY LOG STATUS}
 * (DBZ-7838); MariaDB answers the same question, with the same first four columns, to {@code SHOW MASTER STATUS}.
 * Everything else the connector does on MariaDB (the snapshot, the binary log read by
 * {@code mysql-binlog-connector-java}, which speaks MariaDB's replication protocol) is Debezium's own.
 * <p>
 * Why not Debezium's MariaDB connector: it is not served at the Debezium version Persona is built with (docs/sources.md).
 * Connector/J's own statement interceptors cannot do this: Debezium drops driver properties it does not know.
 */
public final class BinlogJdbcDriver implements Driver {
    static final String MYSQL_STATUS = "SHOW BINARY LOG STATUS";
    static final String MARIADB_STATUS = "SHOW MASTER STATUS";

    private final Driver mysql;

    public BinlogJdbcDriver() {
        try {
            this.mysql = new com.mysql.cj.jdbc.Driver();
        } catch (final SQLException e) {
            throw new IllegalStateException("MySQL Connector/J cannot be loaded", e);
        }
    }

    @Override
    public Connection connect(final String url, final Properties info) throws SQLException {
        final Connection connection = mysql.connect(url, info);
        if (connection == null || !isMariaDb(connection.getMetaData().getDatabaseProductVersion())) {
            return connection;
        }
        return proxy(Connection.class, connection, (target, method, args) -> {
            final Object result = invoke(method, target, translated(method, args));
            return result instanceof Statement statement && !(result instanceof java.sql.PreparedStatement)
                    ? proxy(Statement.class, statement, (s, m, a) -> invoke(m, s, translated(m, a)))
                    : result;
        });
    }

    /** Whether a server's version string is MariaDB's, such as {@code 10.11.6-MariaDB-0+deb12u1-log}. */
    static boolean isMariaDb(final String version) {
        return version != null && version.toLowerCase(Locale.ROOT).contains("mariadb");
    }

    /** MariaDB's form of a statement: the arguments with a first SQL argument translated, when it has one. */
    static Object[] translated(final Method method, final Object[] args) {
        if (args == null || args.length == 0 || !(args[0] instanceof String sql)) {
            return args;
        }
        final String name = method.getName();
        if (!name.startsWith("execute") && !name.startsWith("prepare") && !name.equals("addBatch") && !name.equals("nativeSQL")) {
            return args;
        }
        if (!sql.trim().equalsIgnoreCase(MYSQL_STATUS)) {
            return args;
        }
        final Object[] copy = args.clone();
        copy[0] = MARIADB_STATUS;
        return copy;
    }

    private static Object invoke(final Method method, final Object target, final Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (final InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private interface Call {
        Object apply(Object target, Method method, Object[] args) throws Throwable;
    }

    private static <T> T proxy(final Class<T> type, final T target, final Call call) {
        final InvocationHandler handler = (self, method, args) -> call.apply(target, method, args);
        return type.cast(Proxy.newProxyInstance(BinlogJdbcDriver.class.getClassLoader(), new Class<?>[] {type}, handler));
    }

    @Override
    public boolean acceptsURL(final String url) throws SQLException {
        return mysql.acceptsURL(url);
    }

    @Override
    public DriverPropertyInfo[] getPropertyInfo(final String url, final Properties info) throws SQLException {
        return mysql.getPropertyInfo(url, info);
    }

    @Override
    public int getMajorVersion() {
        return mysql.getMajorVersion();
    }

    @Override
    public int getMinorVersion() {
        return mysql.getMinorVersion();
    }

    @Override
    public boolean jdbcCompliant() {
        return mysql.jdbcCompliant();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return mysql.getParentLogger();
    }
}
