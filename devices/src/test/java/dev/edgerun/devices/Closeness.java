package dev.edgerun.devices;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.util.Arrays;

/** numpy.allclose-style comparison of an actual tensor against an expected one, with a readable verdict. */
final class Closeness {
    private Closeness() {}

    /** Null when {@code actual} matches {@code expected} within |a - e| <= atol + rtol * |e|; else why not. */
    static String mismatch(Tensor expected, Tensor actual, double rtol, double atol) {
        if (expected.dtype() != actual.dtype()) {
            return "dtype " + actual.dtype().onnxName() + ", expected " + expected.dtype().onnxName();
        }
        if (!expected.shape().sameDims(actual.shape())) {
            return "shape " + actual.shape() + ", expected " + expected.shape();
        }
        if (expected.dtype() == DType.STRING) {
            return Arrays.equals(expected.toStringArray(), actual.toStringArray()) ? null : "strings differ";
        }
        double worst = 0;
        long worstAt = -1;
        for (long i = 0; i < expected.elementCount(); i++) {
            double e = expected.getAsDouble(i);
            double a = actual.getAsDouble(i);
            if (Double.isNaN(e) && Double.isNaN(a)) continue;
            if (e == a) continue;
            double err = Math.abs(a - e);
            if (!(err <= atol + rtol * Math.abs(e)) && (worstAt < 0 || err > worst || Double.isNaN(err))) {
                worst = err;
                worstAt = i;
            }
        }
        if (worstAt < 0) return null;
        return "element " + worstAt + " is " + actual.getAsDouble(worstAt) + ", expected " + expected.getAsDouble(worstAt)
                + " (|err| " + worst + " > atol " + atol + " + rtol " + rtol + " * |expected|)";
    }
}
