package dev.edgerun.cli;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.util.Arrays;

/**
 * How far an output is from its expected value: the worst absolute and relative errors, and
 * whether every element is within {@code |actual - expected| <= atol + rtol * |expected|} (as
 * numpy.allclose; NaN matches NaN, infinities must match exactly).
 */
record Comparison(boolean close, double maxAbsError, double maxRelError, String problem) {

    static final Comparison EXACT = new Comparison(true, 0, 0, null);

    static Comparison of(Tensor expected, Tensor actual, double rtol, double atol) {
        if (expected.dtype() != actual.dtype()) {
            return mismatch("dtype " + actual.dtype().onnxName() + ", expected " + expected.dtype().onnxName());
        }
        if (!expected.shape().sameDims(actual.shape())) {
            return mismatch("shape " + actual.shape() + ", expected " + expected.shape());
        }
        if (expected.dtype() == DType.STRING) {
            return Arrays.equals(expected.toStringArray(), actual.toStringArray()) ? EXACT : mismatch("strings differ");
        }
        double maxAbs = 0;
        double maxRel = 0;
        long firstBad = -1;
        for (long i = 0; i < expected.elementCount(); i++) {
            double e = expected.getAsDouble(i);
            double a = actual.getAsDouble(i);
            if (e == a || (Double.isNaN(e) && Double.isNaN(a))) continue;
            double err = Math.abs(a - e);
            if (Double.isNaN(err)) err = Double.POSITIVE_INFINITY;
            maxAbs = Math.max(maxAbs, err);
            if (e != 0) maxRel = Math.max(maxRel, err / Math.abs(e));
            if (firstBad < 0 && !(err <= atol + rtol * Math.abs(e))) firstBad = i;
        }
        String problem = firstBad < 0 ? null : "element " + firstBad + " is " + actual.getAsDouble(firstBad)
                + ", expected " + expected.getAsDouble(firstBad);
        return new Comparison(firstBad < 0, maxAbs, maxRel, problem);
    }

    private static Comparison mismatch(String why) {
        return new Comparison(false, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, why);
    }

    /** The worse of two comparisons (first problem kept). */
    Comparison merge(Comparison other) {
        return new Comparison(close && other.close, Math.max(maxAbsError, other.maxAbsError),
                Math.max(maxRelError, other.maxRelError), problem != null ? problem : other.problem);
    }
}
