/**
 * Keras import: Keras 3 {@code .keras} archives and Keras HDF5 {@code .h5} files (tf.keras 2 and
 * Keras 3's legacy writer) into the Edgerun IR, using standard ONNX operators (opset 17), so an
 * imported model runs on the native engine and on ONNX Runtime, and {@code OnnxModels.write} turns it
 * into a {@code .onnx} file.
 *
 * <pre>{@code
 * try (Model model = Edgerun.load(Path.of("kws.keras"));          // found through ServiceLoader
 *      Session s = Edgerun.session(model, SessionOptions.builder().engine("native").build());
 *      Tensor mfcc = Tensor.of(features, 1, 49, 10, 1);            // channels-last, as in Keras
 *      RunResult r = s.run(Map.of("mfcc", mfcc))) {
 *     float[] scores = r.get(0).toFloatArray();
 * }
 * }</pre>
 *
 * <h2>How it is built</h2>
 * <ul>
 *   <li>{@code KerasFile} opens either container (size-limited zip reading,
 *       HDF5 through jhdf with a truncation check) and {@code Keras3Weights} /
 *       {@code LegacyH5Weights} hand out each layer's weights in Keras' {@code layer.weights} order.</li>
 *   <li>{@code ModelConverter} walks Sequential and functional models (multiple inputs and
 *       outputs, shared layers called several times, models nested as layers).</li>
 *   <li>{@link dev.edgerun.keras.KerasLayers} is the table: one converter per Keras layer class
 *       (classes in {@code dev.edgerun.keras.layers}). A class not in it fails the import with an
 *       {@code UnsupportedOperatorException} naming every such layer (class and name) and the supported
 *       classes; Lambda and custom layers say why their code cannot be imported.</li>
 *   <li>Layout: graph inputs and outputs keep Keras' channels-last shapes and names. Inside,
 *       convolution and pooling run channels-first; {@link dev.edgerun.keras.KTensor} records which
 *       layout each value is in and {@link dev.edgerun.keras.GraphEmitter} inserts a transpose only
 *       where a layer needs the other one. {@code channels_first} models are handled by re-labelling
 *       ({@code layers.ChannelsFirst}).</li>
 *   <li>Recurrent layers map Keras' gate order (LSTM i, f, c, o; GRU z, r, h) to ONNX's (LSTM
 *       i, o, f, c; GRU z, r, h) and GRU {@code reset_after} to {@code linear_before_reset}
 *       ({@code layers.Recurrent}).</li>
 * </ul>
 */
package dev.edgerun.keras;
