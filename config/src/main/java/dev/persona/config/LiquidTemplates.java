package dev.persona.config;

import liqp.Template;
import liqp.TemplateParser;

/** Compiles the Liquid templates of field mappings, so a broken one stops start-up instead of every row. */
public final class LiquidTemplates {
    private static final TemplateParser PARSER = new TemplateParser.Builder().build();

    private LiquidTemplates() {
    }

    /**
     * Compiles a template that configuration validation has already accepted.
     *
     * @throws IllegalArgumentException when it does not compile
     */
    public static Template compile(final String template) {
        try {
            return PARSER.parse(template);
        } catch (final RuntimeException e) {
            throw new IllegalArgumentException(firstLine(e.getMessage()), e);
        }
    }

    static Template compile(final String template, final ConfigNode where) {
        try {
            return compile(template);
        } catch (final IllegalArgumentException e) {
            throw where.error("template", "invalid Liquid template '" + template + "': " + e.getMessage(),
                    "correct the template; see https://shopify.github.io/liquid/ for the syntax");
        }
    }

    private static String firstLine(final String message) {
        if (message == null) {
            return "it does not compile";
        }
        final int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
