package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.keras.Weight;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.Attribute;
import java.util.List;

/**
 * Keras {@code Embedding}: Gather rows of the (input_dim, output_dim) table. Keras 2 models often
 * feed token ids as float32; those are cast to int64 first, as Keras does.
 */
public final class Embedding implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        long vocab = c.config().integer("input_dim");
        long dim = c.config().integer("output_dim");
        Weight table = c.weight(0, "embeddings", vocab, dim);
        String ids = c.g().channelsLast(x);
        if (x.dtype() != DType.INT32 && x.dtype() != DType.INT64) {
            ids = c.g().node("Cast", List.of(ids), Attribute.of("to", (long) DType.INT64.onnxCode()));
        }
        String y = c.g().node("Gather", List.of(c.g().constant("embeddings", table.data(), vocab, dim), ids));
        long[] shape = java.util.Arrays.copyOf(x.shape(), x.rank() + 1);
        shape[x.rank()] = dim;
        return List.of(KTensor.channelsLast(y, shape, DType.FLOAT));
    }
}
