/**
 * Native kernel libraries as {@link dev.edgerun.runtime.kernels.KernelProvider}s, bound by hand
 * over {@code java.lang.foreign} and opened at run time with
 * {@link java.lang.foreign.SymbolLookup#libraryLookup} (nothing native is needed to build):
 * <ul>
 *   <li>{@link dev.edgerun.runtime.kernels.nativelib.OneDnnKernels} — oneDNN 2.x
 *       ({@code libdnnl.so.2}, Debian's {@code libdnnl2}): float32 convolution (dense, 1x1,
 *       grouped, depthwise; strides, pads, dilations; 1-3 spatial axes) with the constant weights
 *       reordered once at compile time, and float32 GEMM/MatMul through the matmul primitive.
 *       Convolutions read and write the engine's NCHW tensors directly, or, where measured faster
 *       ({@link dev.edgerun.runtime.kernels.nativelib.NativeKernelRules}), reorder them into
 *       oneDNN's blocked layout in scratch memory around the primitive; nearest upsampling
 *       between two blocked convolutions runs as oneDNN's resampling on the blocks
 *       ({@code DnnlResampleKernel}). Beside convolution and matmul, operators whose Java
 *       kernels would run cold on a session's first run take oneDNN where its rules say so:
 *       pooling ({@code DnnlPoolKernel}, through {@code ops.nn.OneDnnPooling}), Add/Sub/Mul/Div
 *       of at least 4096 elements with a fused activation as post-op ({@code DnnlBinaryKernel}),
 *       narrow 1x1 convolutions as a matmul ({@code DnnlPointwiseConvKernel}), ConvTransposes
 *       whose kernel tiles the output ({@code DnnlTileDeconvKernel}), an activation oneDNN's
 *       Winograd refuses as a post-op ({@code DnnlEltwiseStep}). Where the warm Java kernel is
 *       the faster one, oneDNN takes only the node's first run and Java the rest
 *       ({@link dev.edgerun.runtime.kernels.nativelib.ColdStart}, {@code -Dedgerun.onednn.coldStartRuns=N}):
 *       ONNX LSTM nodes ({@link dev.edgerun.runtime.kernels.nativelib.DnnlLstmKernel};
 *       {@code -Dedgerun.onednn.lstm=off} keeps the Java LSTM throughout), the attention products
 *       ({@code DnnlStridedMatMulKernel}), LayerNormalization ({@code DnnlLayerNormKernel}) and
 *       the exact GELU after a matmul (a post-op). Kernel classes bind the few functions they
 *       alone need through {@code Dnnl.function}.</li>
 *   <li>{@link dev.edgerun.runtime.kernels.nativelib.XnnpackKernels} — XNNPACK's 2022 operator
 *       API ({@code libXNNPACK.so.0}, Debian's {@code libxnnpack0}): float32 1-D/2-D convolution
 *       (NHWC, transposed per run) and fully connected GEMM with constant weights.</li>
 * </ul>
 * Each library sits behind one facade ({@code Dnnl}, {@code Xnnpack}) that checks the version
 * (or API generation) and every symbol it binds; when a library is absent or unsuitable the
 * provider reports itself unavailable with the reason, logged once, and the Java kernels run. A
 * library is opened only when a node first wants one of its kernels (its functions' downcall
 * handles only when first called), so a model the rules leave to the Java kernels never loads it. Kernel planning failures are logged once per provider and kernel family
 * and fall back the same way.
 *
 * <p>Selection: {@code -Dedgerun.kernels=onednn|xnnpack|java|scalar} restricts the choice to one
 * provider (scalar stays as the last resort); unset or {@code auto} asks oneDNN first on x86-64
 * (XNNPACK first on arm64), each provider deciding per spec by the measured rules.
 * {@code -Dedgerun.onednn.layout=plain|blocked|auto} overrides the convolution layout rule;
 * {@code -Dedgerun.onednn.library}, {@code -Dedgerun.xnnpack.library} and
 * {@code -Dedgerun.pthreadpool.library} name the file to open instead of the Debian names.
 *
 * <p>Threads: Debian's oneDNN runs on OpenMP (libgomp). oneDNN fixes its work split when a
 * primitive is created, so each kernel builds one program per thread count (at compile time the
 * session's count, which the planner declares through {@code KernelSelection.planningWith},
 * else the OpenMP default; others on first use) and sets {@code omp_set_num_threads} to the session's
 * count before each run. A kernel under {@code NativeKernelRules.MEASURED_THREADS_MAX_FLOPS} chooses
 * between its one-thread program and the most threads allowed by timing its own runs
 * ({@code DnnlThreadChoice}: waking a passive OpenMP worker costs more than small primitives gain
 * when the other core is busy); {@code -Dedgerun.onednn.adaptiveThreads=off} keeps the fixed rule.
 * An 8-bit convolution the rule leaves on one OpenMP thread is, in a session of 2 or more threads,
 * cut into 2 bands of output rows, each a one-thread oneDNN convolution, run on the session's own
 * Java threads ({@code DnnlQ8RowSplitConv}, kept where its own runs measure it faster;
 * {@code -Dedgerun.onednn.q8RowSplit=off} turns it off).
 * XNNPACK gets a process-wide pthreadpool per thread count. Per-run state
 * (streams, memory objects, XNNPACK operators) is cached per kernel, so steady-state runs make
 * no native or Java allocations, and concurrent runs each get their own.
 */
package dev.edgerun.runtime.kernels.nativelib;
