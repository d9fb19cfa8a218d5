package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import java.util.List;

/** Keras {@code Permute}: {@code dims} are 1-based and exclude the batch axis. */
public final class Permute implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        long[] dims = c.config().ints("dims", x.rank() - 1);
        long[] perm = new long[x.rank()];
        long[] shape = new long[x.rank()];
        shape[0] = x.dim(0);
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 1 || dims[i] >= x.rank()) throw c.error("dims " + java.util.Arrays.toString(dims) + " out of range");
            perm[i + 1] = dims[i];
            shape[i + 1] = x.dim((int) dims[i]);
        }
        String y = c.g().transpose(c.g().channelsLast(x), perm);
        return List.of(KTensor.channelsLast(y, shape, x.dtype()));
    }
}
