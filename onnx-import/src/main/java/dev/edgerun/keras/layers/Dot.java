package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.runtime.ir.Attribute;
import java.util.List;

/**
 * Keras {@code Dot} (batched dot product) for the two common cases: two (N, D) vectors → (N, 1),
 * and two rank-3 tensors contracted over one axis each → MatMul, (N, a, c).
 * {@code normalize=True} L2-normalizes both inputs along the contracted axes first (cosine).
 */
public final class Dot implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        if (c.inputs().size() != 2) throw c.error("Dot needs two inputs, got " + c.inputs().size());
        KTensor a = c.inputs().get(0);
        KTensor b = c.inputs().get(1);
        long[] axes = c.config().ints("axes", 2);
        int ax = (int) (axes[0] < 0 ? axes[0] + a.rank() : axes[0]);
        int bx = (int) (axes[1] < 0 ? axes[1] + b.rank() : axes[1]);
        String x = c.g().channelsLast(a);
        String y = c.g().channelsLast(b);
        if (c.config().bool("normalize", false)) {
            x = c.g().node("LpNormalization", List.of(x), Attribute.of("axis", (long) ax), Attribute.of("p", 2L));
            y = c.g().node("LpNormalization", List.of(y), Attribute.of("axis", (long) bx), Attribute.of("p", 2L));
        }
        if (a.rank() == 2 && b.rank() == 2 && ax == 1 && bx == 1) {
            String s = c.g().node("ReduceSum", List.of(c.g().node("Mul", List.of(x, y)), c.g().int64s("axes", 1)),
                    Attribute.of("keepdims", 1L));
            return List.of(KTensor.channelsLast(s, new long[] {a.dim(0), 1}, a.dtype()));
        }
        if (a.rank() == 3 && b.rank() == 3 && ax >= 1 && bx >= 1) {
            if (ax == 1) x = c.g().transpose(x, 0, 2, 1);
            if (bx == 2) y = c.g().transpose(y, 0, 2, 1);
            String m = c.g().node("MatMul", List.of(x, y));
            long rows = a.dim(ax == 1 ? 2 : 1);
            long cols = b.dim(bx == 1 ? 2 : 1);
            return List.of(KTensor.channelsLast(m, new long[] {a.dim(0), rows, cols}, a.dtype()));
        }
        throw c.unsupported("axes " + java.util.Arrays.toString(axes) + " on ranks " + a.rank() + " and " + b.rank()
                + ": only (N, D)·(N, D) and rank-3 batched products are supported");
    }
}
