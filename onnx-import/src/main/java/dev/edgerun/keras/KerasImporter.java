package dev.edgerun.keras;

import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.ModelImporter;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.UnsupportedOperatorException;
import dev.edgerun.runtime.ir.Model;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * Reads Keras models into the IR: Keras 3 {@code .keras} archives and HDF5 {@code .h5} files from
 * tf.keras 2 / Keras 2 and Keras 3's legacy writer. The result uses standard ONNX operators
 * (opset {@value #OPSET}), so it runs on every engine and can be written as {@code .onnx}.
 *
 * <pre>{@code
 * try (Model m = new KerasImporter().read(Path.of("model.keras"))) {
 *     System.out.println(m.graph().inputs());   // Keras names and channels-last shapes
 * }
 * }</pre>
 */
public final class KerasImporter implements ModelImporter {
    /** The ONNX opset of imported models (LayerNormalization needs 17). */
    public static final long OPSET = 17;

    @Override
    public String format() {
        return "keras";
    }

    @Override
    public boolean canRead(Path file) {
        String n = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean extension = n.endsWith(".keras") || n.endsWith(".h5") || n.endsWith(".hdf5");
        return extension && KerasFile.looksLikeKeras(file);
    }

    @Override
    public Model read(Path file) {
        try (KerasFile kf = KerasFile.open(file)) {
            return convert(kf);
        }
    }

    private static Model convert(KerasFile kf) {
        return convert(kf.path.toString(), kf.modelConfig, kf.kerasVersion, kf.weights,
                "Imported from " + kf.path.getFileName() + " (Keras " + kf.kerasVersion + ", " + kf.container + ")");
    }

    /**
     * Converts a parsed model configuration whose weights come from {@code weights}; {@code where}
     * names the source in messages. Tests use it with weights built in memory.
     */
    static Model convert(String where, Map<String, Object> modelConfig, String kerasVersion, WeightStore weights, String doc) {
        KerasLayer top = KerasLayer.of(new Config(modelConfig, where), where);
        if (!ModelConverter.isModel(top)) {
            throw new ModelFormatException(where + ": the top-level config is a " + top.className()
                    + ", not a Sequential or Functional model");
        }
        int major = majorVersion(kerasVersion);
        List<UnsupportedOperatorException.Miss> misses = KerasLayers.missing(ModelConverter.layersOf(top), major);
        if (!misses.isEmpty()) throw KerasLayers.unsupported(misses);

        GraphEmitter g = new GraphEmitter(top.name());
        try {
            new ModelConverter(weights, major, g).convertTop(top);
            List<Tensor> tensors = g.takeTensors();
            return Model.builder()
                    .graph(g.build())
                    .opset(OPSET)
                    .producer("edgerun-keras", kerasVersion)
                    .docString(doc)
                    .metadata("source_format", "keras")
                    .metadata("keras_version", kerasVersion)
                    .metadata("layout", "channels_last")
                    .owner(() -> tensors.forEach(Tensor::close))
                    .build();
        } catch (RuntimeException e) {
            g.closeTensors();
            throw e;
        }
    }

    /** Major Keras version: 2 for tf.keras and Keras 2, 3 for Keras 3. */
    static int majorVersion(String kerasVersion) {
        try {
            return Integer.parseInt(kerasVersion.split("\\.")[0].trim());
        } catch (NumberFormatException e) {
            return 2;
        }
    }
}
