package dev.edgerun.keras.layers;

import dev.edgerun.keras.LayerContext;
import java.util.List;

/** Reads the per-axis (before, after) amounts of ZeroPadding and Cropping configs in all their Keras spellings. */
final class Padding {
    private Padding() {}

    /** {@code [axis][0 = before, 1 = after]} for {@code n} spatial axes. */
    static long[][] pairs(LayerContext c, String key, int n) {
        Object v = c.config().raw(key);
        long[][] r = new long[n][2];
        if (v instanceof Number num) {
            for (long[] p : r) java.util.Arrays.fill(p, num.longValue());
            return r;
        }
        if (!(v instanceof List<?> l)) throw c.config().bad(key, "an int, a tuple or a tuple of pairs", v);
        if (n == 1 && l.size() == 2 && l.get(0) instanceof Number a && l.get(1) instanceof Number b) {
            r[0][0] = a.longValue();
            r[0][1] = b.longValue();
            return r;
        }
        if (l.size() != n) throw c.config().bad(key, n + " entries", v);
        for (int i = 0; i < n; i++) {
            Object e = l.get(i);
            if (e instanceof Number num) {
                r[i][0] = r[i][1] = num.longValue();
            } else if (e instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof Number a
                    && pair.get(1) instanceof Number b) {
                r[i][0] = a.longValue();
                r[i][1] = b.longValue();
            } else {
                throw c.config().bad(key, "an int, a tuple or a tuple of pairs", v);
            }
        }
        return r;
    }
}
