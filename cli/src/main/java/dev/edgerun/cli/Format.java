package dev.edgerun.cli;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Value;
import java.util.Locale;

/** Human-readable numbers for the text output. */
final class Format {
    private Format() {}

    /** 1536 → "1.5 KiB". */
    static String bytes(long n) {
        if (n < 1024) return n + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** 3487816 → "3,487,816". */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** 6.0e8 → "600.00 M". */
    static String si(double v) {
        String[] units = {"", " k", " M", " G", " T"};
        int u = 0;
        while (Math.abs(v) >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, u == 0 ? "%.0f%s" : "%.2f%s", v, units[u]);
    }

    /** Microseconds as "123.4 us" or "12.35 ms". */
    static String micros(double us) {
        if (us < 1000) return String.format(Locale.ROOT, "%.1f us", us);
        if (us < 1_000_000) return String.format(Locale.ROOT, "%.2f ms", us / 1000);
        return String.format(Locale.ROOT, "%.3f s", us / 1_000_000);
    }

    static String number(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    /** "input: float[1, 3, 224, 224]". */
    static String value(Value v) {
        return v.name() + ": " + v.type();
    }

    /** "float[1, 10]". */
    static String type(Tensor t) {
        return t.dtype().onnxName() + t.shape();
    }
}
