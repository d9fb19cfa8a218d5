package dev.edgerun.onnx.conformance;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Compares run-time values with expected ones: floating-point elements within
 * {@code |actual - expected| <= atol + rtol * |expected|} (NaN equals NaN, infinities must match),
 * integers, bools and strings exactly, sequences element by element. Returns null when equal, else
 * a one-line description of the first difference.
 */
final class ValueComparison {
    private ValueComparison() {}

    record Tolerance(double rtol, double atol) {}

    static String compare(String what, Object expected, Object actual, Tolerance tol) {
        if (expected == null || actual == null) {
            return expected == actual ? null : what + ": expected " + describe(expected) + ", got " + describe(actual);
        }
        if (expected instanceof Tensor e) {
            if (!(actual instanceof Tensor a)) return what + ": expected a tensor, got " + describe(actual);
            return compareTensors(what, e, a, tol);
        }
        if (expected instanceof List<?> el) {
            if (!(actual instanceof List<?> al)) return what + ": expected a sequence, got " + describe(actual);
            if (el.size() != al.size()) return what + ": expected a sequence of " + el.size() + ", got " + al.size();
            for (int i = 0; i < el.size(); i++) {
                String d = compare(what + "[" + i + "]", el.get(i), al.get(i), tol);
                if (d != null) return d;
            }
            return null;
        }
        if (expected instanceof Map<?, ?>) return what + ": map values are not supported by the comparison";
        return what + ": unexpected expected value " + expected.getClass().getName();
    }

    static String describe(Object v) {
        if (v == null) return "none";
        if (v instanceof Tensor t) return t.dtype().onnxName() + t.shape();
        if (v instanceof List<?> l) return "sequence of " + l.size();
        return v.getClass().getSimpleName();
    }

    private static String compareTensors(String what, Tensor e, Tensor a, Tolerance tol) {
        if (e.dtype() != a.dtype()) return what + ": expected dtype " + e.dtype().onnxName() + ", got " + a.dtype().onnxName();
        if (!e.shape().sameDims(a.shape())) return what + ": expected shape " + e.shape() + ", got " + a.shape();
        DType t = e.dtype();
        long n = e.elementCount();
        if (t == DType.STRING) {
            String[] es = e.toStringArray();
            String[] as = a.toStringArray();
            for (int i = 0; i < es.length; i++) {
                if (!es[i].equals(as[i])) return what + " element " + i + ": expected \"" + es[i] + "\", got \"" + as[i] + "\"";
            }
            return null;
        }
        if (!numericallyReadable(t)) {
            return Arrays.equals(e.toByteArray(), a.toByteArray()) ? null
                    : what + ": " + t.onnxName() + " bytes differ (compared exactly)";
        }
        boolean exact = !t.isFloatingPoint();
        for (long i = 0; i < n; i++) {
            if (exact) {
                long x = e.getAsLong(i);
                long y = a.getAsLong(i);
                if (x != y) return what + " element " + i + " of " + e.shape() + ": expected " + x + ", got " + y;
            } else {
                double x = e.getAsDouble(i);
                double y = a.getAsDouble(i);
                if (!close(x, y, tol)) {
                    return what + " element " + i + " of " + e.shape() + ": expected " + x + ", got " + y
                            + " (rtol " + tol.rtol() + ", atol " + tol.atol() + ")";
                }
            }
        }
        return null;
    }

    private static boolean numericallyReadable(DType t) {
        return switch (t) {
            case FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, UINT64, BOOL -> true;
            default -> false;
        };
    }

    static boolean close(double expected, double actual, Tolerance tol) {
        if (Double.isNaN(expected) || Double.isNaN(actual)) return Double.isNaN(expected) && Double.isNaN(actual);
        if (Double.isInfinite(expected) || Double.isInfinite(actual)) return expected == actual;
        return Math.abs(actual - expected) <= tol.atol() + tol.rtol() * Math.abs(expected);
    }
}
