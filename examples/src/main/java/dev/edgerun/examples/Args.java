package dev.edgerun.examples;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The examples' command lines: {@code --name value}, {@code --flag} and positional arguments.
 * Kept tiny on purpose so each example stays a single readable file; the real CLI uses picocli.
 */
final class Args {
    private final Map<String, List<String>> options = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();

    /** {@code flags} are the options that take no value. */
    Args(String[] args, String... flags) {
        List<String> flagList = List.of(flags);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                positional.add(a);
            } else if (flagList.contains(a)) {
                options.computeIfAbsent(a, k -> new ArrayList<>()).add("true");
            } else if (i + 1 < args.length) {
                options.computeIfAbsent(a, k -> new ArrayList<>()).add(args[++i]);
            } else {
                throw new IllegalArgumentException("option " + a + " needs a value");
            }
        }
    }

    boolean has(String name) {
        return options.containsKey(name);
    }

    String get(String name, String fallback) {
        List<String> v = options.get(name);
        return v == null ? fallback : v.getLast();
    }

    String require(String name) {
        String v = get(name, null);
        if (v == null) throw new IllegalArgumentException("missing required option " + name);
        return v;
    }

    int getInt(String name, int fallback) {
        return Integer.parseInt(get(name, Integer.toString(fallback)));
    }

    double getDouble(String name, double fallback) {
        return Double.parseDouble(get(name, Double.toString(fallback)));
    }

    List<String> all(String name) {
        return options.getOrDefault(name, List.of());
    }

    List<String> positional() {
        return positional;
    }

    /** A program body that may throw anything a command line reports. */
    interface Body {
        void run() throws Exception;
    }

    /**
     * Runs an example's body; a mistake the user can fix (bad option, unreadable file, model that
     * does not fit, no microphone) ends the program with its message and status 2, not a stack trace.
     */
    static void runMain(Body body) throws Exception {
        try {
            body.run();
        } catch (dev.edgerun.runtime.EdgerunException | IllegalArgumentException | IllegalStateException
                 | java.io.UncheckedIOException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }

    /** {@code key=value} pairs given as repeated {@code name} options. */
    Map<String, String> pairs(String name) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String s : all(name)) {
            int eq = s.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException(name + " expects key=value, got '" + s + "'");
            m.put(s.substring(0, eq), s.substring(eq + 1));
        }
        return m;
    }
}
