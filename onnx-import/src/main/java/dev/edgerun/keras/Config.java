package dev.edgerun.keras;

import dev.edgerun.runtime.ModelFormatException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A read-only view of one JSON object of a Keras configuration, with typed getters whose failures
 * name the place ({@code where}: file and layer) and the key. Keras 2 and Keras 3 spell a few
 * things differently (a dtype as a string or a policy object, a number as int or float); the
 * getters accept both.
 */
public final class Config {
    private final Map<String, Object> map;
    private final String where;

    public Config(Map<String, Object> map, String where) {
        this.map = map;
        this.where = where;
    }

    /** Where this object sits, for messages: file and layer. */
    public String where() {
        return where;
    }

    public boolean has(String key) {
        return map.containsKey(key) && map.get(key) != null;
    }

    public Object raw(String key) {
        return map.get(key);
    }

    public String string(String key) {
        Object v = map.get(key);
        if (v instanceof String s) return s;
        throw bad(key, "a string", v);
    }

    public String string(String key, String dflt) {
        return has(key) ? string(key) : dflt;
    }

    public long integer(String key) {
        Object v = map.get(key);
        if (v instanceof Long l) return l;
        if (v instanceof Double d && d == Math.rint(d)) return d.longValue();
        throw bad(key, "an integer", v);
    }

    public long integer(String key, long dflt) {
        return has(key) ? integer(key) : dflt;
    }

    public double number(String key) {
        Object v = map.get(key);
        if (v instanceof Number n) return n.doubleValue();
        throw bad(key, "a number", v);
    }

    public double number(String key, double dflt) {
        return has(key) ? number(key) : dflt;
    }

    public boolean bool(String key, boolean dflt) {
        if (!has(key)) return dflt;
        Object v = map.get(key);
        if (v instanceof Boolean b) return b;
        throw bad(key, "true or false", v);
    }

    /** An integer list; a single integer {@code n} is read as {@code [n] * count} (Keras' own rule). */
    public long[] ints(String key, int count) {
        Object v = map.get(key);
        if (v instanceof Number) {
            long[] r = new long[count];
            java.util.Arrays.fill(r, integer(key));
            return r;
        }
        if (!(v instanceof List<?> l)) throw bad(key, "an integer or a list of " + count + " integers", v);
        long[] r = new long[l.size()];
        for (int i = 0; i < r.length; i++) {
            if (!(l.get(i) instanceof Number n)) throw bad(key, "a list of integers", v);
            r[i] = n.longValue();
        }
        if (count > 0 && r.length != count) throw bad(key, "a list of " + count + " integers", v);
        return r;
    }

    /** An integer list whose entries may be null (unknown dimensions), read as -1. */
    public long[] dims(String key) {
        Object v = map.get(key);
        if (!(v instanceof List<?> l)) throw bad(key, "a list of dimensions", v);
        return dimsOf(l, key);
    }

    long[] dimsOf(List<?> l, String key) {
        long[] r = new long[l.size()];
        for (int i = 0; i < r.length; i++) {
            Object e = l.get(i);
            if (e == null) {
                r[i] = -1;
            } else if (e instanceof Number n) {
                r[i] = n.longValue();
            } else {
                throw bad(key, "a list of integers or nulls", l);
            }
        }
        return r;
    }

    @SuppressWarnings("unchecked")
    public Config object(String key) {
        Object v = map.get(key);
        if (v instanceof Map<?, ?> m) return new Config((Map<String, Object>) m, where);
        throw bad(key, "an object", v);
    }

    public List<?> list(String key) {
        Object v = map.get(key);
        if (v instanceof List<?> l) return l;
        throw bad(key, "a list", v);
    }

    /** A list of objects. */
    @SuppressWarnings("unchecked")
    public List<Config> objects(String key) {
        List<Config> r = new ArrayList<>();
        for (Object o : list(key)) {
            if (!(o instanceof Map<?, ?> m)) throw bad(key, "a list of objects", o);
            r.add(new Config((Map<String, Object>) m, where));
        }
        return r;
    }

    /** A copy with {@code key} set to {@code value}. */
    public Config with(String key, Object value) {
        Map<String, Object> copy = new java.util.LinkedHashMap<>(map);
        copy.put(key, value);
        return new Config(copy, where);
    }

    /** The same object, reported under another place name. */
    public Config at(String newWhere) {
        return new Config(map, newWhere);
    }

    /**
     * A Keras dtype: a string ({@code "float32"}) in Keras 2, or a {@code DTypePolicy} object in
     * Keras 3 whose {@code config.name} holds the string.
     */
    public String dtype(String key, String dflt) {
        if (!has(key)) return dflt;
        Object v = map.get(key);
        if (v instanceof String s) return s;
        Config policy = object(key);
        if (policy.has("config")) return policy.object("config").string("name", dflt);
        return dflt;
    }

    public ModelFormatException bad(String key, String expected, Object actual) {
        return new ModelFormatException(where + ": config key '" + key + "' should be " + expected + ", found "
                + (actual == null ? "nothing" : abbreviate(String.valueOf(actual))));
    }

    private static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }

    @Override
    public String toString() {
        return abbreviate(map.toString());
    }
}
