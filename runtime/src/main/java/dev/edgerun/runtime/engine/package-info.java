/**
 * The native engine: Edgerun's own executor over the operators of {@code dev.edgerun.runtime.ops}.
 *
 * <pre>{@code
 * try (Model model = Edgerun.load(Path.of("model.onnx"));
 *      NativeSession session = (NativeSession) Edgerun.session(model,
 *              SessionOptions.builder().engine("native").threads(2).memoryLimit(64L << 20).build());
 *      Tensor x = Tensor.of(new float[1 * 64], 1, 64);
 *      RunResult out = session.run(Map.of("input", x))) {      // outputs belong to the caller
 *     float[] y = out.get("output").toFloatArray();
 *     long arena = session.plannedPeakBytes();                 // activation memory after reuse
 * }
 * }</pre>
 *
 * <p><b>Compile</b> ({@link dev.edgerun.runtime.engine.NativeSession}): model-local functions are
 * inlined, every node is bound to its operator, and every node the engine cannot run is reported
 * at once in one {@link dev.edgerun.runtime.UnsupportedOperatorException}.
 *
 * <p><b>Plan</b> (per set of input shapes, made at compile time when the shapes are fixed, else at
 * the first run with new shapes; a few plans are cached): each node is prepared by its operator,
 * which infers its output types; nodes whose inputs are all constant are run once and become
 * constants (so Shape → Gather → Concat → Reshape chains vanish); nodes whose input shapes depend
 * on data are prepared at run time against the actual values; a kernel that declares its output a
 * view of its input ({@code Kernel.outputAliasesInput}: Reshape-like operators) shares that buffer
 * and does not run; every planned buffer gets an offset in one 64-byte aligned arena, assigned
 * greedily by size and best fit over lifetimes. {@code NativeSession.explainPlan()} prints the plan.
 *
 * <p><b>Run</b>: concurrent runs share the plan and each take a frame (arena and tensor views,
 * made once) from the plan's pool; the loop over steps allocates nothing on the heap when every
 * shape is planned. Kernels split work with {@code parallelFor} over the session's fixed pool.
 * Subgraphs (If/Loop/Scan bodies) are planned per input signature and read the values of
 * enclosing graphs from the calling run.
 *
 * <p><b>Errors</b>: every node the engine cannot run is reported at compile time, together; errors
 * at plan or run time name the node ({@code node 'name' (Op, opset N)}); the memory limit of
 * {@code SessionOptions} bounds the arena, folded constants and run-time allocations.
 *
 * <p><b>Values</b> given to kernels are views: kernels never close them or keep them after their
 * run. Values a kernel puts in a sequence must be made with {@code RunContext.allocateTemp}
 * (arena views are reused by later nodes).
 */
package dev.edgerun.runtime.engine;
