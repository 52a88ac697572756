package dev.persona.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Chooses where log lines go and in which format, before the first line is logged: logback reads
 * {@code logback.configurationFile} and {@code persona.log.dir} when it starts (see {@code persona-logback-base.xml}).
 *
 * <p>{@code persona demo} is for a person at a terminal: it prints its banner and progress, and its log (Kafka's
 * start-up warnings among it) goes to {@code $PERSONA_HOME/logs/persona.log} unless {@code --verbose} is given.
 * Every other command logs to the terminal (standard error), as containers and service managers expect.
 * {@code PERSONA_LOG_FORMAT=json} writes one JSON object a line wherever the log goes.
 *
 * @param appender the logback appender: {@code TEXT}, {@code JSON}, {@code FILE} or {@code FILE_JSON}
 * @param file     the log file, used by the file appenders
 */
public record LogSetup(String appender, Path file) {
    /** The environment variable that selects the format. */
    public static final String FORMAT_VARIABLE = "PERSONA_LOG_FORMAT";

    /**
     * What {@code persona ARGS} logs with, under {@code environment}.
     *
     * @throws IllegalArgumentException when {@value #FORMAT_VARIABLE} is neither {@code text} nor {@code json}
     */
    public static LogSetup fromArguments(final List<String> args, final Map<String, String> environment) {
        final String format = environment.getOrDefault(FORMAT_VARIABLE, "text").trim().toLowerCase(Locale.ROOT);
        if (!format.equals("text") && !format.equals("json") && !format.isEmpty()) {
            throw new IllegalArgumentException(FORMAT_VARIABLE + "=" + environment.get(FORMAT_VARIABLE)
                    + " is not a log format: use text (the default) or json");
        }
        final boolean json = format.equals("json");
        final String command = args.stream().filter(arg -> !arg.startsWith("-")).findFirst().orElse("");
        final boolean toFile = command.equals("demo") && !args.contains("--verbose") && !args.contains("--help") && !args.contains("-h");
        final String home = environment.get("PERSONA_HOME");
        final Path file = Path.of(home == null || home.isBlank() ? ".persona" : home).toAbsolutePath().normalize()
                .resolve("logs").resolve(json ? "persona.json.log" : "persona.log");
        return new LogSetup(toFile ? (json ? "FILE_JSON" : "FILE") : (json ? "JSON" : "TEXT"), file);
    }

    /** The logback configuration (a class-path resource) that writes this way. */
    public String configuration() {
        return switch (appender) {
            case "JSON" -> "logback-json.xml";
            case "FILE" -> "logback-file.xml";
            case "FILE_JSON" -> "logback-file-json.xml";
            default -> "logback.xml";
        };
    }

    /** True when the log goes to {@link #file()} rather than the terminal. */
    public boolean toFile() {
        return appender.startsWith("FILE");
    }

    /** Hands the choice to logback; call before anything logs. Properties already set (by a test, say) win. */
    public void apply() {
        if (System.getProperty("logback.configurationFile") == null && !appender.equals("TEXT")) {
            System.setProperty("logback.configurationFile", configuration());
        }
        if (System.getProperty("persona.log.dir") == null) {
            System.setProperty("persona.log.dir", file.getParent().toString());
        }
    }
}
