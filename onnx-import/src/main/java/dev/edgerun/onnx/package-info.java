/**
 * ONNX ⇄ Edgerun IR.
 *
 * <pre>{@code
 * try (Model model = OnnxModels.read(Path.of("model.onnx"))) {         // or Edgerun.load(path)
 *     byte[] onnx = OnnxModels.write(model);                           // IR back to ONNX
 * }
 * try (Tensor x = TensorProtos.read(Path.of("input_0.pb"))) { ... }    // one TensorProto file
 * TestCaseFolder folder = TestCaseFolder.open(Path.of("test_abs"));    // model + test_data_set_*
 * try (Model m = OnnxModels.read(folder.modelFile())) {
 *     for (TestCaseFolder.DataSet set : folder.readDataSets(m)) { try (set) { ... } }
 * }
 * }</pre>
 *
 * <p>{@link dev.edgerun.onnx.OnnxModels} reads and writes models, {@link dev.edgerun.onnx.TensorProtos}
 * single tensors and test values, {@link dev.edgerun.onnx.TestCaseFolder} ONNX-style test folders;
 * {@link dev.edgerun.onnx.OnnxImporter} makes {@code Edgerun.load} read {@code .onnx} files. The
 * protoc-generated classes of {@code onnx.proto} live in {@code dev.edgerun.onnx.proto}.
 */
package dev.edgerun.onnx;
