/**
 * Edgerun quantization: IR to IR, written as standard ONNX.
 *
 * <ul>
 *   <li>{@link dev.edgerun.quant.QuantMode#DYNAMIC}: int8 weights (per channel, symmetric),
 *       activations quantized at run time (DynamicQuantizeLinear, MatMulInteger/ConvInteger);</li>
 *   <li>{@link dev.edgerun.quant.QuantMode#STATIC}: QDQ pairs with ranges calibrated over a
 *       {@link dev.edgerun.quant.DataFolder} (MinMax, Percentile, Entropy);</li>
 *   <li>{@link dev.edgerun.quant.QuantMode#FP16} and {@link dev.edgerun.quant.QuantMode#WEIGHT_ONLY}.</li>
 * </ul>
 * The quantizer never emits an operator one of the target engines lacks ({@link dev.edgerun.quant.TargetOps}).
 *
 * <pre>{@code
 * try (Model model = OnnxModels.read(Path.of("model.onnx"));
 *      DataFolder calibration = DataFolder.read(Path.of("calib"), model.graph().requiredInputs());
 *      DataFolder eval = DataFolder.read(Path.of("eval"), model.graph().requiredInputs());
 *      Quantizer.Result q = Quantizer.quantize(model, QuantOptions.builder(QuantMode.STATIC)
 *              .method(CalibrationMethod.PERCENTILE).build(), calibration)) {
 *     OnnxModels.write(q.model(), Path.of("model.int8.onnx"));
 *     Comparison.Result r = Comparison.compare(model, q.model(), eval);
 *     System.out.printf("top-1 agreement %.4f, accuracy %.4f -> %.4f%n",
 *             r.top1Agreement(), r.accuracyFloat(), r.accuracyQuantized());
 * }
 * }</pre>
 *
 * {@link dev.edgerun.quant.QuantizeJob} is the whole of {@code edgerun quantize}, with the
 * {@link dev.edgerun.quant.Guardrail} and the {@link dev.edgerun.quant.QuantReport}.
 */
package dev.edgerun.quant;
