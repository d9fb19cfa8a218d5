package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.runtime.ir.Attribute;
import java.util.List;

/**
 * Keras {@code UpSampling1D/2D/3D} as ONNX Resize with integer scales: {@code nearest} repeats
 * each element (asymmetric coordinates, floor), {@code bilinear} uses half-pixel centres as
 * TensorFlow's and PyTorch's resize do.
 */
public final class UpSampling implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        Spatial.requireChannelsLast(c);
        KTensor x = c.input();
        int n = x.rank() - 2;
        long[] size = c.config().has("size") ? c.config().ints("size", n) : Spatial.tuple(c, "length", n, 2);
        String interpolation = c.config().string("interpolation", "nearest");
        float[] scales = new float[x.rank()];
        java.util.Arrays.fill(scales, 1f);
        long[] shape = x.shape();
        for (int i = 0; i < n; i++) {
            scales[x.irAxis(i + 1)] = size[i];
            if (shape[i + 1] >= 0) shape[i + 1] *= size[i];
        }
        String sc = c.g().constant("scales", scales, scales.length);
        String y = switch (interpolation) {
            case "nearest" -> c.g().node("Resize", List.of(x.name(), "", sc), Attribute.of("mode", "nearest"),
                    Attribute.of("coordinate_transformation_mode", "asymmetric"), Attribute.of("nearest_mode", "floor"));
            case "bilinear" -> c.g().node("Resize", List.of(x.name(), "", sc), Attribute.of("mode", "linear"),
                    Attribute.of("coordinate_transformation_mode", "half_pixel"));
            default -> throw c.unsupported("interpolation '" + interpolation + "' (nearest and bilinear are supported)");
        };
        return List.of(x.derive(y, shape));
    }
}
