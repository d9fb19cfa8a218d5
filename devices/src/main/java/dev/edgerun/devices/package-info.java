/**
 * The ONNX Runtime engine ({@code onnxruntime}), its execution providers
 * ({@link dev.edgerun.devices.providers}), device probing ({@link dev.edgerun.devices.probe}) and
 * measured tuning ({@link dev.edgerun.devices.tune}). The engine is found through {@link java.util.ServiceLoader}, so adding this module and
 * {@code com.microsoft.onnxruntime:onnxruntime} to the class path is all it takes:
 *
 * <pre>{@code
 * try (Model model = Edgerun.load(Path.of("model.onnx"));
 *      Session session = Edgerun.session(model, SessionOptions.builder().engine("onnxruntime").threads(2).build());
 *      Tensor x = Tensor.of(new float[64], 1, 64);
 *      RunResult out = session.run(Map.of("input", x))) {
 *     System.out.println(out.get(0));
 * }
 * }</pre>
 *
 * <p>Inputs living off-heap are handed to ONNX Runtime without copying; outputs are copied into
 * tensors the {@link dev.edgerun.runtime.RunResult} owns, so nothing of ONNX Runtime's memory
 * outlives a run.
 */
package dev.edgerun.devices;
