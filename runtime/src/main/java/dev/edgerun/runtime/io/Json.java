package dev.edgerun.runtime.io;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The small JSON the project reads and writes (the CLI's {@code --json} documents, tuning profiles,
 * benchmark results): objects, arrays, strings, numbers, booleans and null. Written with keys in
 * insertion order; non-finite numbers become {@code null}, since JSON has no NaN or infinity. Parsed
 * objects are {@code LinkedHashMap}s, arrays {@code ArrayList}s, integers {@code Long}, other
 * numbers {@code Double}. Not a general JSON library: no streaming, no data binding.
 */
public final class Json {
    private final String text;
    private final String where;
    private int pos;

    private Json(String text, String where) {
        this.text = text;
        this.where = where;
    }

    /** Parses one JSON value; {@code where} names the source in error messages. */
    public static Object parse(String text, String where) {
        Json p = new Json(text, where);
        Object v = p.value();
        p.skipSpace();
        if (p.pos != text.length()) throw p.error("text after the value");
        return v;
    }

    /** Parses a document that must be one JSON object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text, String where) {
        Object v = parse(text, where);
        if (!(v instanceof Map)) throw new IllegalArgumentException(where + ": not valid JSON (expected one object)");
        return (Map<String, Object>) v;
    }

    /** {@code value} as indented JSON: maps (in iteration order), lists and arrays, strings, numbers, booleans, null. */
    public static String write(Object value) {
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

    private Object value() {
        skipSpace();
        if (pos >= text.length()) throw error("unexpected end");
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> number();
        };
    }

    private Map<String, Object> object() {
        Map<String, Object> m = new LinkedHashMap<>();
        pos++;
        skipSpace();
        if (peek('}')) return m;
        do {
            skipSpace();
            if (!peekChar('"')) throw error("expected a key");
            String k = string();
            skipSpace();
            expect(':');
            m.put(k, value());
            skipSpace();
        } while (consume(','));
        expect('}');
        return m;
    }

    private List<Object> array() {
        List<Object> l = new ArrayList<>();
        pos++;
        skipSpace();
        if (peek(']')) return l;
        do {
            l.add(value());
            skipSpace();
        } while (consume(','));
        expect(']');
        return l;
    }

    private String string() {
        StringBuilder b = new StringBuilder();
        pos++;
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == '"') return b.toString();
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (pos >= text.length()) break;
            char e = text.charAt(pos++);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> {
                    if (pos + 4 > text.length()) throw error("bad \\u escape");
                    b.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                    pos += 4;
                }
                default -> b.append(e);
            }
        }
        throw error("unterminated string");
    }

    private Object number() {
        int start = pos;
        while (pos < text.length() && "+-0123456789.eE".indexOf(text.charAt(pos)) >= 0) pos++;
        String n = text.substring(start, pos);
        if (n.isEmpty()) throw error("unexpected character '" + text.charAt(pos) + "'");
        try {
            return n.matches("-?\\d+") ? (Object) Long.parseLong(n) : (Object) Double.parseDouble(n);
        } catch (NumberFormatException e) {
            throw error("bad number '" + n + "'");
        }
    }

    private Object literal(String word, Object v) {
        if (!text.startsWith(word, pos)) throw error("expected " + word);
        pos += word.length();
        return v;
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) pos++;
    }

    private boolean peek(char c) {
        if (peekChar(c)) {
            pos++;
            return true;
        }
        return false;
    }

    private boolean peekChar(char c) {
        return pos < text.length() && text.charAt(pos) == c;
    }

    private boolean consume(char c) {
        skipSpace();
        return peek(c);
    }

    private void expect(char c) {
        skipSpace();
        if (!peek(c)) throw error("expected '" + c + "'");
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(where + ": not valid JSON (" + what + " at character " + pos + ")");
    }
}
