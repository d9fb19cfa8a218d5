package dev.edgerun.cli;

import java.util.Iterator;
import java.util.Map;

/**
 * A tiny JSON writer for the {@code --json} documents: maps (keys in insertion order), lists and
 * arrays, strings, numbers, booleans and null. Non-finite numbers are written as {@code null},
 * since JSON has no NaN or infinity.
 */
final class Json {
    private Json() {}

    static String write(Object value) {
        StringBuilder b = new StringBuilder();
        write(b, value, 0);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v, int indent) {
        switch (v) {
            case null -> b.append("null");
            case String s -> string(b, s);
            case Boolean bool -> b.append(bool);
            case Double d -> number(b, d);
            case Float f -> number(b, f.doubleValue());
            case Number n -> b.append(n);
            case Map<?, ?> m -> object(b, m, indent);
            case Iterable<?> it -> array(b, it.iterator(), indent);
            case long[] a -> array(b, java.util.Arrays.stream(a).boxed().iterator(), indent);
            case int[] a -> array(b, java.util.Arrays.stream(a).boxed().iterator(), indent);
            case double[] a -> array(b, java.util.Arrays.stream(a).boxed().iterator(), indent);
            case Object[] a -> array(b, java.util.Arrays.asList(a).iterator(), indent);
            default -> string(b, v.toString());
        }
    }

    private static void number(StringBuilder b, double d) {
        if (!Double.isFinite(d)) {
            b.append("null");
        } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            b.append((long) d);
        } else {
            b.append(d);
        }
    }

    private static void object(StringBuilder b, Map<?, ?> m, int indent) {
        if (m.isEmpty()) {
            b.append("{}");
            return;
        }
        b.append('{');
        boolean first = true;
        for (var e : m.entrySet()) {
            if (!first) b.append(',');
            first = false;
            newline(b, indent + 1);
            string(b, String.valueOf(e.getKey()));
            b.append(": ");
            write(b, e.getValue(), indent + 1);
        }
        newline(b, indent);
        b.append('}');
    }

    private static void array(StringBuilder b, Iterator<?> it, int indent) {
        if (!it.hasNext()) {
            b.append("[]");
            return;
        }
        b.append('[');
        boolean first = true;
        while (it.hasNext()) {
            if (!first) b.append(',');
            first = false;
            newline(b, indent + 1);
            write(b, it.next(), indent + 1);
        }
        newline(b, indent);
        b.append(']');
    }

    private static void newline(StringBuilder b, int indent) {
        b.append('\n').append("  ".repeat(indent));
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
