package dev.edgerun.keras.layers;

import dev.edgerun.keras.Activations;
import dev.edgerun.keras.GraphEmitter;
import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.keras.Weight;
import dev.edgerun.runtime.ir.Attribute;
import java.util.ArrayList;
import java.util.List;

/**
 * Keras 2 {@code LocallyConnected1D}/{@code LocallyConnected2D} (implementation 1: kernel
 * (positions, patch, filters), bias (out..., filters)): an unshared convolution. Patches are
 * gathered by one strided Slice per kernel offset and concatenated in Keras' patch order
 * ((kh, kw, C) for channels_last, (C, kh, kw) for channels_first), then one batched MatMul applies
 * each position's own kernel: (P, N, K) x (P, K, F). Handles both data formats itself.
 */
public final class LocallyConnected implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        int n = x.rank() - 2;
        boolean first = c.config().string("data_format", "channels_last").equals("channels_first");
        if (c.config().integer("implementation", 1) != 1) throw c.unsupported("implementation " + c.config().raw("implementation") + " (only 1)");
        if (!c.config().string("padding", "valid").equals("valid")) throw c.unsupported("padding other than valid");
        long ch = first ? x.dim(1) : x.dim(-1);
        long[] in = new long[n];
        for (int i = 0; i < n; i++) in[i] = first ? x.dim(i + 2) : x.dim(i + 1);
        long[] k = Spatial.tuple(c, "kernel_size", n, 1);
        long[] s = Spatial.tuple(c, "strides", n, 1);
        long filters = c.config().integer("filters");
        long[] out = new long[n];
        long positions = 1;
        long offsets = 1;
        for (int i = 0; i < n; i++) {
            if (in[i] < 0) throw c.unsupported("spatial sizes must be fixed in the input shape");
            out[i] = (in[i] - k[i]) / s[i] + 1;
            positions *= out[i];
            offsets *= k[i];
        }
        long patch = offsets * ch;
        Weight kernel = c.weight(0, "kernel", positions, patch, filters);

        // channels-last IR value (N, D..., C)
        String v = c.g().channelsLast(x);
        if (first) v = c.g().transpose(v, GraphEmitter.toChannelsLast(n + 2));
        List<String> slices = new ArrayList<>();
        for (long off = 0; off < offsets; off++) {
            long[] starts = new long[n];
            long[] ends = new long[n];
            long[] axes = new long[n];
            long rest = off;
            for (int i = n - 1; i >= 0; i--) {
                starts[i] = rest % k[i];
                rest /= k[i];
            }
            for (int i = 0; i < n; i++) {
                ends[i] = starts[i] + s[i] * (out[i] - 1) + 1;
                axes[i] = i + 1;
            }
            String sl = c.g().node("Slice", List.of(v, c.g().int64s("starts", starts), c.g().int64s("ends", ends),
                    c.g().int64s("axes", axes), c.g().int64s("steps", s)));
            slices.add(first ? c.g().node("Unsqueeze", List.of(sl, c.g().int64s("axes", n + 2))) : sl);
        }
        String patches = c.g().node("Concat", slices, Attribute.of("axis", first ? n + 2L : n + 1L));
        String rows = c.g().reshape(patches, -1, positions, patch);       // (N, P, K)
        String pm = c.g().transpose(rows, 1, 0, 2);                       // (P, N, K)
        String y = c.g().node("MatMul", List.of(pm, c.g().constant("kernel", kernel.data(), kernel.shape())));
        y = c.g().transpose(y, 1, 0, 2);                                  // (N, P, F)
        long[] target = new long[n + 2];
        target[0] = -1;
        System.arraycopy(out, 0, target, 1, n);
        target[n + 1] = filters;
        y = c.g().reshape(y, target);                                     // (N, out..., F)
        if (c.config().bool("use_bias", true)) {
            long[] bshape = new long[n + 1];
            System.arraycopy(out, 0, bshape, 0, n);
            bshape[n] = filters;
            Weight bias = c.weight(1, "bias", bshape);
            y = c.g().node("Add", List.of(y, c.g().constant("bias", bias.data(), bshape)));
        }
        long[] shape = Spatial.shape(x.dim(0), out, filters);
        KTensor r = Activations.apply(c, KTensor.channelsLast(y, shape, x.dtype()));
        if (!first) return List.of(r);
        return List.of(KTensor.channelsLast(c.g().transpose(r.name(), GraphEmitter.toChannelsFirst(n + 2)),
                ChannelsFirst.toChannelsFirst(shape), x.dtype()));
    }
}
