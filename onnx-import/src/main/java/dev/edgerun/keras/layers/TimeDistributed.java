package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.KerasLayer;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.runtime.ir.Attribute;
import java.util.List;

/**
 * Keras {@code TimeDistributed}: the wrapped layer runs on (N*T, ...) and the result is folded
 * back to (N, T, ...), the first two dimensions taken from the input at run time.
 */
public final class TimeDistributed implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        if (x.rank() < 3) throw c.error("expects (batch, time, ...) input, got " + x);
        KerasLayer inner = KerasLayer.of(c.config().object("layer"), c.layer().where());
        String in = c.g().channelsLast(x);
        long[] merged = new long[x.rank() - 1];
        merged[0] = -1;
        for (int i = 2; i < x.rank(); i++) {
            if (x.dim(i) < 0) throw c.unsupported("the per-step shape " + java.util.Arrays.toString(x.shape()) + " must be fixed");
            merged[i - 1] = x.dim(i);
        }
        long[] innerShape = merged.clone();
        innerShape[0] = x.dim(0) < 0 || x.dim(1) < 0 ? -1 : x.dim(0) * x.dim(1);
        KTensor folded = KTensor.channelsLast(c.g().reshape(in, merged), innerShape, x.dtype());
        List<KTensor> outs = c.convertInner(inner, List.of(folded), c.weights());
        if (outs.size() != 1) throw c.error("the wrapped layer must have one output");
        KTensor y = outs.get(0);
        String yl = c.g().channelsLast(y);
        // (N, T) from the input's shape, then the inner output's per-step dims
        String lead = c.g().node("Slice", List.of(c.g().node("Shape", List.of(in)), c.g().int64s("starts", 0),
                c.g().int64s("ends", 2)));
        long[] tail = new long[y.rank() - 1];
        for (int i = 1; i < y.rank(); i++) tail[i - 1] = y.dim(i);
        for (long d : tail) if (d < 0) throw c.unsupported("the wrapped layer's output shape must be fixed");
        String shape = c.g().node("Concat", List.of(lead, c.g().int64s("tail", tail)), Attribute.of("axis", 0L));
        String out = c.g().node("Reshape", List.of(yl, shape));
        long[] s = new long[y.rank() + 1];
        s[0] = x.dim(0);
        s[1] = x.dim(1);
        System.arraycopy(tail, 0, s, 2, tail.length);
        return List.of(KTensor.channelsLast(out, s, x.dtype()));
    }
}
