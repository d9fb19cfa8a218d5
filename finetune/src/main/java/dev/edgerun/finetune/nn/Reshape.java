package dev.edgerun.finetune.nn;

import dev.edgerun.runtime.ir.Attribute;
import java.util.Arrays;
import java.util.List;

/**
 * Flatten (axis 1) and Reshape: the data stay in place, only the per-sample shape changes; the
 * batch axis is kept.
 */
public final class Reshape implements Layer {
    private final int[] target; // per-sample shape; null means Flatten
    private int[] in;

    private Reshape(int[] target) {
        this.target = target;
    }

    public static Reshape flatten() {
        return new Reshape(null);
    }

    /** {@code perSample}: the new shape of one sample (no batch axis); one entry may be -1. */
    public static Reshape to(int... perSample) {
        return new Reshape(perSample.clone());
    }

    @Override public String opType() { return target == null ? "Flatten" : "Reshape"; }
    @Override public String describe() { return target == null ? "Flatten" : "Reshape " + Arrays.toString(target); }

    @Override
    public int[] outputShape(int[] in) {
        this.in = in.clone(); // export writes the resolved shape
        int n = Network.size(in);
        if (target == null) return new int[] {n};
        int[] o = target.clone();
        int known = 1, unknownAt = -1;
        for (int i = 0; i < o.length; i++) {
            if (o[i] == -1) unknownAt = i;
            else known *= o[i];
        }
        if (unknownAt >= 0) o[unknownAt] = n / known;
        if (Network.size(o) != n) {
            throw new IllegalArgumentException("Reshape: cannot reshape " + Arrays.toString(in) + " to " + Arrays.toString(target));
        }
        return o;
    }

    @Override
    public float[] forward(float[] x, int batch, int[] in) {
        outputShape(in);
        return x;
    }

    @Override
    public float[] backward(float[] dy) {
        return dy;
    }

    @Override
    public String export(GraphSink sink, String input) {
        if (target == null) return sink.node("Flatten", List.of(input), Attribute.of("axis", 1L));
        int[] o = outputShape(in);
        long[] shape = new long[o.length + 1];
        shape[0] = -1;
        for (int i = 0; i < o.length; i++) shape[i + 1] = o[i];
        return sink.node("Reshape", List.of(input, sink.constantLongs("shape", shape)));
    }
}
