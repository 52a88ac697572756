package dev.persona.config;

import liqp.Template;
import liqp.TemplateParser;
import liqp.org.antlr.v4.runtime.tree.ParseTree;
import liquid.parser.v4.LiquidParser;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Compiles the Liquid templates of field mappings, so a broken one stops start-up instead of every row. */
public final class LiquidTemplates {
    private static final TemplateParser PARSER = new TemplateParser.Builder().build();
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern LIQUID_TAG = Pattern.compile("\\{\\{(.*?)}}|\\{%(.*?)%}", Pattern.DOTALL);

    private LiquidTemplates() {
    }

    /**
     * Compiles a template that configuration validation has already accepted.
     *
     * @throws IllegalArgumentException when it does not compile
     */
    public static Template compile(final String template) {
        final Template compiled;
        try {
            compiled = PARSER.parse(template);
        } catch (final RuntimeException e) {
            throw new IllegalArgumentException(firstLine(e.getMessage()), e);
        }
        // liqp looks a filter up only when it renders one, so a misspelt name would fail every row instead of start-up.
        unknownFilter(compiled.getParseTree()).ifPresent(name -> {
            throw new IllegalArgumentException("no filter named '" + name + "'; Liquid's filters are listed at https://shopify.github.io/liquid/filters/");
        });
        return compiled;
    }

    /** Every identifier inside the template's tags: a superset of the columns it reads (filter names and keywords too). */
    public static Set<String> namesIn(final String template) {
        final Set<String> names = new HashSet<>();
        final Matcher tags = LIQUID_TAG.matcher(template);
        while (tags.find()) {
            final Matcher identifiers = IDENTIFIER.matcher(tags.group(tags.group(1) != null ? 1 : 2));
            while (identifiers.find()) {
                names.add(identifiers.group());
            }
        }
        return names;
    }

    private static Optional<String> unknownFilter(final ParseTree node) {
        if (node instanceof LiquidParser.FilterContext filter && filter.Id() != null && PARSER.filters.get(filter.Id().getText()) == null) {
            return Optional.of(filter.Id().getText());
        }
        for (int i = 0; i < node.getChildCount(); i++) {
            final Optional<String> found = unknownFilter(node.getChild(i));
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
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
