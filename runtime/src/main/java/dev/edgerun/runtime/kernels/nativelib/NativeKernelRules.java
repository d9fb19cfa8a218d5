package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.F32Gemm;
import dev.edgerun.runtime.kernels.KernelProvider;

/**
 * When a native library's kernel is chosen over the Java kernels in automatic selection
 * ({@code edgerun.kernels} unset or {@code auto}), and in which activation layout oneDNN runs a
 * convolution. The rules follow measurements on the 2-vCPU AVX-512 x86-64 build machine
 * (single thread, best of 5 interleaved rounds, oneDNN 2.6.3 vs the Java Vector API kernels):
 * <ul>
 *   <li>GEMM: oneDNN's matmul takes every float32 GEMM but the small ones of at most
 *       {@link dev.edgerun.runtime.kernels.F32Gemm#MR} rows, depth 64 and 128 kFLOP, one row tile
 *       of the Java micro-kernel (see {@link #oneDnnGemm}); one-row products go to the Java GEMV
 *       before any provider is asked (the Gemm and MatMul operators' own rule).</li>
 *   <li>Convolution with constant weights: oneDNN in its best layout won every shape measured
 *       (MobileNetV2, ResNet-18 and DS-CNN layers), so it takes every one but tiny 1x1 outputs (see
 *       {@link #oneDnnConv}); convolutions whose
 *       weights arrive at run time stay with the Java kernels (no weight reorder per run).</li>
 *   <li>Layout: with plain NCHW activations oneDNN 2.6 falls back to {@code gemm:jit} (im2col);
 *       its direct kernels ({@code brgconv}, {@code brdgmm_dw}) need the blocked layout, bought
 *       with a reorder in and out per convolution. Depthwise 3x3 is 3-6x faster blocked (576 ch
 *       @14x14: 281 vs 1261 µs); dense 3x3/7x7 gain 1.2-1.8x blocked once there are 3 or more
 *       input channels (a 1-channel 10x4 first layer is 7x slower blocked); 1x1 convolutions gain
 *       only with wide inputs (576→96 @14x14: 258 vs 668 µs blocked) and lose with narrow ones
 *       (24→144 @56x56: 520 vs 252 µs), the reorders of large planes costing more than they save.
 *       These rules choose the layout at a convolution's NCHW ends only: between two oneDNN
 *       convolutions (and through same-shape element-wise steps such as a residual Add) the
 *       planner keeps values blocked with no reorder at all, whatever the rule says; that took
 *       every reorder out of MobileNetV2 but at its input and before its pooling. Every
 *       convolution with 16 or more channels on a side asks for nChw16c rather than oneDNN's
 *       nhwc choice ({@link #oneDnnUniformChannelBlocks}), so that Winograd and direct layers
 *       agree on the layout kept between them.</li>
 *   <li>Winograd: 3x3 stride-1 convolutions run oneDNN's Winograd convolution
 *       ({@link #oneDnnWinograd}), 1.2-3.1x faster than its direct one on this AMD Zen 4 machine,
 *       whose direct kernels (like ONNX Runtime's) already run at the FMA peak.</li>
 *   <li>Fused activations (Relu, Clip, LeakyRelu, Sigmoid, HardSwish) run as oneDNN eltwise
 *       post-ops inside the convolution rather than in a Java pass over its output.</li>
 *   <li>No depthwise post-op ({@code dnnl_post_ops_append_dw_k3s1p1}) after a 1x1 convolution:
 *       oneDNN 2.6 runs that pair here as {@code ref_fused_convolution}, its two kernels one after
 *       the other through scratch, slower than the two primitives on the engine's blocked buffers
 *       (DS-CNN's 64→64 1x1 then depthwise 3x3 at 25x5, Relu after each, single thread, minimum of
 *       600 interleaved batches: 12.90 against 12.36 µs).</li>
 * </ul>
 */
final class NativeKernelRules {
    /** 1x1 convolutions with at least this many input channels run blocked. */
    static final long POINTWISE_BLOCKED_MIN_CHANNELS = 128;
    /** Dense (non-1x1) convolutions with at least this many input channels run blocked. */
    static final long DENSE_BLOCKED_MIN_CHANNELS = 3;

    private NativeKernelRules() { }

    static boolean isX86() {
        String arch = System.getProperty("os.arch", "");
        return arch.equals("amd64") || arch.equals("x86_64");
    }

    static boolean isArm64() {
        String arch = System.getProperty("os.arch", "");
        return arch.equals("aarch64") || arch.equals("arm64");
    }

    /**
     * oneDNN GEMM in automatic selection: every float32 product but those of at most
     * {@link F32Gemm#MR} rows (one tile of the Java micro-kernel), depth {@value #JAVA_GEMM_MAX_DEPTH}
     * and {@value #JAVA_GEMM_MAX_FLOPS} FLOP, where the Java kernel needs no downcall (constant B,
     * transposed, single thread, median per call interleaved, Java vs oneDNN µs, load ~8): 2x16x16
     * 0.37 vs 0.88, 4x64x64 0.68-0.97 vs 0.77-1.18, 6x64x32 0.45 vs 0.68, 5x64x64 0.70 vs 0.84,
     * 3x64x64 0.96 vs 1.15, 4x96x64 1.36 vs 1.55, 6x128x64 1.18 vs 1.41. oneDNN won from 8 rows or
     * depth 128: 8x64x64 1.31 vs 1.06, 7x64x64 1.91 vs 1.42, 2x128x128 2.06 vs 1.23, 3x128x128 2.08
     * vs 1.42, 32x128x128 12.2 vs 9.6, 49x256x40 12.6 vs 9.5, 6x512x512 29.6 vs 29.1.
     * The Java wide tile ({@link dev.edgerun.runtime.kernels.F32WideTileGemm}, constant B, 512-bit)
     * beat oneDNN per call by 3-17% at up to 32 rows and 256 columns (32x128x128 4.14-4.23 vs
     * 4.30-4.66 µs, 32x128x512 16.14 vs 16.84) and was level or behind from 384 columns or 49 rows,
     * yet giving it those products made tiny_transformer slower in {@code bench --compare} (ratio
     * 0.829/0.872 against 0.762/0.826 with a 3 s warm-up, 0.763/0.760 against 0.749/0.752 with 10 s,
     * load 6-7) although its node minima fell 2 µs; why is not settled (one cost: a second kernel
     * family for the JIT to compile during the warm-up), so oneDNN keeps them.
     */
    static boolean oneDnnGemm(KernelProvider.GemmSpec spec) {
        return !oneJavaTile(spec);
    }

    /** Whether a GEMM is one row tile of the Java micro-kernel, which the Java kernels run faster than a downcall. */
    private static boolean oneJavaTile(KernelProvider.GemmSpec spec) {
        return spec.m() <= F32Gemm.MR && spec.k() <= JAVA_GEMM_MAX_DEPTH && spec.flops() <= JAVA_GEMM_MAX_FLOPS;
    }

    /** Depth (k) up to which a GEMM of one Java row tile stays with the Java kernels. */
    static final int JAVA_GEMM_MAX_DEPTH = 64;
    /** FLOPs (2mnk) up to which a GEMM of one Java row tile stays with the Java kernels. */
    static final long JAVA_GEMM_MAX_FLOPS = 131072;

    /**
     * oneDNN convolution in automatic selection (constant weights are required by the provider
     * itself): every one but a 1x1 convolution to fewer than {@value #POINTWISE_MIN_OUTPUT_CHANNELS}
     * channels from a narrow input, where oneDNN has only its im2col GEMM in plain layout and the
     * blocked layout pads the few channels to a block (1x1 32→3 @64x64, the output layer of
     * conv_autoencoder: oneDNN plain 112 µs, blocked 173 µs, Java 59 µs).
     */
    static boolean oneDnnConv(KernelProvider.ConvSpec spec) {
        boolean fewOutputs = spec.weightShape()[0] < POINTWISE_MIN_OUTPUT_CHANNELS && spec.group() == 1;
        return !(fewOutputs && isPointwise(spec) && spec.inputShape()[1] < POINTWISE_BLOCKED_MIN_CHANNELS);
    }

    /**
     * oneDNN for a ConvTranspose in automatic selection: those whose kernel tiles the output
     * ({@link DnnlTileDeconvKernel}, a matmul and a reorder), as fast as the operator's GEMM and
     * Java tile pass once warm and fast from the first run, where that pass runs in the
     * interpreter (conv_autoencoder's 64→32 2x2 stride-2 layer, single thread, best of 30
     * interleaved batches of 100 model runs, load 13: 53.8 against 93.6 µs; first run under 0.5 ms
     * against 10-70 ms). The others stay with the operator: oneDNN's deconvolution ran that layer
     * 1.3-1.9x slower than the operator (126-183 against 92-97 µs, single thread, load 13-14).
     */
    static boolean oneDnnConvTranspose(KernelProvider.ConvSpec spec) {
        if (System.getProperty(CONV_TRANSPOSE_PROPERTY, "auto").trim().equals("off")) return false;
        return DnnlTileDeconvKernel.computes(spec);
    }

    /** {@value #CONV_TRANSPOSE_PROPERTY}: {@code auto} (default, {@link #oneDnnConvTranspose}) or {@code off} (the operator's GEMM and col2im), read when a kernel is made. */
    static final String CONV_TRANSPOSE_PROPERTY = "edgerun.onednn.convTranspose";

    /** 1x1 convolutions with fewer output channels than this (and a narrow input) stay with the Java kernels. */
    static final long POINTWISE_MIN_OUTPUT_CHANNELS = 8;

    /**
     * Whether a 1x1 convolution that {@link #oneDnnConv} leaves to the Java kernels runs as oneDNN's
     * matmul instead ({@link DnnlPointwiseConvKernel}; stride 1, no padding, not grouped): as fast
     * once warm, and fast from the first run, where the Java kernels run in the interpreter until C2
     * has compiled them. conv_autoencoder's output layer (1x1 32→3 @64x64, Sigmoid), single thread,
     * best of 30 interleaved batches of 200: matmul 29.2 µs, Java 29.2 µs, oneDNN convolution
     * 115 µs; first call in a fresh JVM: matmul 0.44 ms, Java 522 ms (49 ms of the model's first
     * run in the engine, whose other nodes had loaded the classes).
     */
    static boolean oneDnnPointwiseMatMul(KernelProvider.ConvSpec spec) {
        return DnnlPointwiseConvKernel.computes(spec) && !oneDnnConv(spec);
    }

    private static boolean isPointwise(KernelProvider.ConvSpec spec) {
        for (int a = 2; a < spec.weightShape().length; a++) if (spec.weightShape()[a] != 1) return false;
        return true;
    }

    /**
     * XNNPACK GEMM in automatic selection (provisional: measured on x86 only, see the report): every
     * one, but on x86-64, where it stands in for oneDNN, not those oneDNN's rule leaves to the Java
     * kernels ({@link #oneJavaTile}); ranked before the Java provider, it would take them otherwise,
     * and loading XNNPACK for them cost start-up time.
     */
    static boolean xnnpackGemm(KernelProvider.GemmSpec spec) {
        return !(isX86() && oneJavaTile(spec));
    }

    /**
     * XNNPACK convolution in automatic selection. On arm64 every one (not measured: no arm64
     * machine here). On x86-64, where it ranks below oneDNN and matters only without it, the NCHW
     * to NHWC transposes around each call decide (single thread, best of 5, against the Java
     * kernels): it wins when each output sums over many inputs (3x3 64→64 @56x56: 4.2 vs 7.1 ms;
     * 7x7 3→64: 6.5 vs 10.9 ms; 1x1 576→96: 0.32 vs 0.78 ms) and loses on narrow 1x1 (24→144
     * @56x56: 1.15 vs 0.28 ms) and on large depthwise planes (32 ch @112x112: 4.8 vs 2.4 ms).
     */
    static boolean xnnpackConv(KernelProvider.ConvSpec spec) {
        if (!isX86()) return true;
        if (spec.isDepthwise()) return false;
        long perOutput = spec.weightShape()[1];
        boolean pointwise = true;
        for (int a = 2; a < spec.weightShape().length; a++) {
            perOutput *= spec.weightShape()[a];
            pointwise &= spec.weightShape()[a] == 1;
        }
        return perOutput >= (pointwise ? POINTWISE_BLOCKED_MIN_CHANNELS : 27);
    }

    /**
     * Threads worth using for a kernel of {@code flops} operations: one per {@value #FLOPS_PER_THREAD}
     * operations at most. An OpenMP fork/join costs microseconds when the cores are idle and up to
     * a scheduler time slice when they are busy: with the session's 2 threads, mlp_tiny's 16-kFLOP
     * GEMMs had a median of 47 µs and a p90 of 15.9 ms on the loaded build machine, against 25 µs
     * and 52 µs with 1 thread. This is the most a kernel may use: above one thread, each oneDNN
     * kernel measures whether that many actually beat one ({@link DnnlThreadChoice}).
     */
    static int threadsFor(long flops, int sessionThreads) {
        long useful = Math.max(1, flops / FLOPS_PER_THREAD);
        return (int) Math.min(sessionThreads, useful);
    }

    /** About 40 µs of work at oneDNN's single-thread speed here; below that a second thread cannot pay. */
    static final long FLOPS_PER_THREAD = 2_000_000;

    /**
     * oneDNN kernels below this many operations (about 0.5 ms on one core here) choose their thread
     * count by measuring ({@link DnnlThreadChoice}); larger ones always use {@link #threadsFor}'s.
     * A thread's wake-up and the join matter only for short kernels: conv_autoencoder's and
     * mobilenet_v2's (all under 41 MFLOP) ran faster measured, but resnet18's 3x3 convolutions (100-240
     * MFLOP) in bench --compare at 2 threads (load 11) gave ratios 0.49-0.75 measured against
     * 0.39-0.68 with 2 threads always.
     */
    static final long MEASURED_THREADS_MAX_FLOPS = 50_000_000;

    /**
     * How many int8 operations count as one float32 operation in {@link #threadsFor}: oneDNN's u8s8
     * convolutions run about 4x the float rate here (VNNI), and their fork/join costs the same, so
     * the int8 break-even is higher. Measured on static int8 mobilenet_v2 at 2 threads (load 1.3,
     * medians of 150 interleaved runs): counting int8 operations as float ones gave 5.67 ms, /4 4.35 ms,
     * /16 3.99 ms, never splitting 4.01 ms (1 thread: 4.01 ms); resnet18 at /16 8.54 ms against 8.63 ms.
     * Why: OpenMP's 2-thread programs of these 20-300 µs kernels ran slower than their 1-thread ones
     * (DnnlQ8ThreadsProbe, see {@link #oneDnnQ8RowSplit}); the convolutions this leaves on one
     * thread split their rows over the session's Java threads instead ({@link DnnlQ8RowSplitConv}).
     */
    static final long INT8_OPS_PER_FLOAT_OP = 16;

    /**
     * oneDNN 8-bit convolution in automatic selection: every one it has a real implementation for
     * (the provider declines its reference one). Its VNNI kernels ran 3x3 64→64 @56x56 at 459 vs
     * 118 GOP/s float32 here, 1x1 convolutions 2-4x faster, depthwise 0.7-1.1x of float32.
     */
    static boolean oneDnnQ8Conv(KernelProvider.Q8ConvSpec spec) {
        return true;
    }

    /**
     * Whether an 8-bit convolution with nhwc activations on both sides runs its output rows in
     * {@link DnnlQ8RowSplitConv#PARTS} bands on the session's Java threads, each band a
     * single-thread oneDNN convolution ({@link DnnlQ8RowSplitConv}), where {@link #threadsFor}
     * leaves it to one OpenMP thread: 2-D, batch 1, at least one output row per band, a session of
     * 2 or more threads. Each such kernel still measures the split against one thread
     * ({@link DnnlThreadChoice}), as the load of the machine decides whether a second core is there.
     * MobileNetV2's 8-bit layers (DnnlQ8ThreadsProbe: the 1-thread program, the 2-thread OpenMP
     * program and the two bands, the second on a spinning helper thread, alternated, 300 runs each,
     * load 9; least / median µs): 1x1 16→96 @112 276 / 292, OpenMP 290 / 311, bands 140 / 152;
     * depthwise 144 @56 186 / 198, 196 / 215, 100 / 104; 1x1 144→24 @56 79 / 81, 88 / 94, 39 / 44;
     * depthwise 384 @14 38 / 40, 47 / 54, 20 / 183; 1x1 384→64 @14 22.6 / 22.7, 29.0 / 32.3,
     * 12.8 / 13.5. OpenMP's second thread made every one of them slower (float ones too, but
     * the largest), the bands ran each 1.7-2x faster at their least. On a session's own worker
     * pool (Q8RowSplitPoolProbe, load 11-12, 300 alternated runs, whole on one thread against the
     * bands, least / median µs): with the pool spinning between regions ({@code -Dedgerun.spinMicros=50},
     * what it does on a machine that was not busy when it was made) 1x1 16→96 @112 236 / 239 against
     * 142 / 245, depthwise 144 @56 170 / 171 against 100 / 174, depthwise 384 @14 32.4 / 32.8
     * against 17.7 / 34.5, depthwise 960 @7 21.5 / 21.8 against 13.4 / 23.4 (the medians are the
     * load's: a spin that was preempted parks the pool); with a pool made on the busy machine (no
     * spin, the worker woken per split) the bands took 1-10% longer than the whole at their least,
     * as the caller ran both bands before the worker woke; {@link DnnlThreadChoice} then keeps the whole.
     * Whole model, static int8 MobileNetV2 at 2 threads on the machine with a core free (load
     * 0.2-1.8): medians of 300 runs interleaved in one process, with the bands 2.74-3.65 ms against
     * 4.15-4.42 ms without (float 4.87-5.98 ms: float/int8 1.63-1.99x against 1.16-1.42x); float and
     * int8 interleaved (200 runs), this build and the one before it alternated, int8 2.69 and 2.69 ms
     * against 4.03 and 4.14 ms, float/int8 1.74x and 1.81x against 1.18x and 1.16x. At 1 thread and
     * for ResNet-18 (its large convolutions keep OpenMP's threads) nothing changed: 1.85x and 1.99x.
     * The bands' primitives are built with the session: static int8 MobileNetV2 at 2 threads took
     * 65.0-67.2 ms to compile against 59.4-60.4 ms without them (warm JVM, medians of 15, load 10).
     */
    static boolean oneDnnQ8RowSplit(KernelProvider.Q8ConvSpec spec, long flops, int sessionThreads) {
        KernelProvider.ConvSpec g = spec.geometry();
        if (sessionThreads < DnnlQ8RowSplitConv.PARTS || g.inputShape().length != 4 || g.inputShape()[0] != 1) return false;
        return g.outputShape()[2] >= DnnlQ8RowSplitConv.PARTS && threadsFor(flops, sessionThreads) == 1;
    }

    /**
     * Whether an 8-bit convolution runs in oneDNN's preferred layout (nhwc), reordered around it:
     * always, since oneDNN 2.6 has only its reference int8 implementation for NCHW (0.03-0.1 GOP/s).
     */
    static boolean oneDnnQ8Blocked(KernelProvider.Q8ConvSpec spec) {
        return true;
    }

    /** Channels of one oneDNN channel block ({@link Dnnl#TAG_NCHW16C}); narrower activations are never asked in blocks. */
    static final long CHANNEL_BLOCK = 16;
    /** Output channels up to which a convolution between NCHW neighbours asks for channel blocks. */
    static final long CHANNEL_BLOCKED_MAX_OUTPUTS = 64;

    /**
     * Whether a float 2-D convolution whose activations are NCHW on both sides (reordered in and out
     * around it, as between Java kernels) asks oneDNN for nChw16c activations instead of letting it
     * choose (it chooses nhwc here). The reorders from and to NCHW decide: nchw to nhwc is a
     * transpose oneDNN runs slowly (1x32x64x64: 91-107 µs, 1x64x32x32: 62-66 µs), to nChw16c a
     * block copy (24 and 11 µs); the convolutions themselves ran at the same speed both ways at
     * 16-64 output channels (conv_autoencoder 32→16 @64x64: 330-349 vs 341 µs, 64→32 @32x32:
     * 318-334 vs 333 µs) and with fewer than 16 input channels nChw16c lets oneDNN read NCHW
     * directly (ResNet-18's 7x7 3→64 stem: 6.7 ms against 9.4 ms plus a 45 µs reorder, loaded
     * machine). Wider convolutions stay with oneDNN's choice: its nhwc brgconv ran 64→64 @56x56
     * and 256→256 @14x14 1.5-1.8x faster than its nChw16c kernel. Depthwise too (nhwc 10-15% faster).
     * Medians of oneDNN's verbose timings, single thread, oneDNN 2.6.3, AVX-512.
     */
    static boolean oneDnnChannelBlocks(KernelProvider.ConvSpec spec) {
        if (!isX86() || spec.inputShape().length != 4 || spec.isDepthwise()) return false;
        long in = spec.inputShape()[1], out = spec.outputShape()[1];
        return out >= CHANNEL_BLOCK && (in < CHANNEL_BLOCK || out <= CHANNEL_BLOCKED_MAX_OUTPUTS);
    }

    /**
     * Whether a float convolution runs as oneDNN's Winograd convolution: 2-D 3x3, stride 1, no
     * dilation, not grouped, both channel counts multiples of {@value #CHANNEL_BLOCK} (what its
     * kernels take; oneDNN declines the rest and the direct convolution runs). oneDNN's direct
     * kernels run at the FMA peak of this machine (AMD EPYC Zen 4, AVX-512 on 256-bit units:
     * 115-127 GFLOP/s), as ONNX Runtime's do, so only fewer multiplications win: oneDNN 2.6.3,
     * single thread, ReLU post-op, min of 60 runs, direct vs Winograd: 64→64 @56x56 1950 vs 1003
     * µs, 128→128 @28x28 1886 vs 601 µs (F(4x4,3x3)), 256→256 @14x14 1817 vs 913, 512→512 @7x7
     * 1714 vs 1400, conv_autoencoder's 64→32 @32x32 312 vs 196, 32→16 @64x64 321 vs 251, 16→32
     * @32x32 81 vs 58, 32→64 @16x16 77 vs 49. oneDNN's {@code auto} algorithm picked direct for
     * all of them. Winograd rounds differently from direct summation (a few ulps of the sums),
     * well inside the 1e-3 relative tolerance the models are checked with against PyTorch.
     * Output planes under {@value #WINOGRAD_MIN_OUTPUT_PLANE} positions stay direct: the weight
     * transform, done once when the kernel is made, grows with the channel counts (64→64 about
     * 1 ms, 128→128 10-70 ms, 256→256 35-80 ms, 512→512 110-200 ms, loaded machine), and at 7x7
     * the run gains least (1.2x): ResNet-18's three 512-channel layers would add about 0.5 s to
     * compiling for 0.9 ms per run. On the Zen 5 machine, against brgconv on nhwc copies
     * ({@link #oneDnnNhwcDirect}), Winograd still ran those three layers faster (ProfMin, least of
     * 40, 2 alternated rounds, load 5-7: 889-950 against 1050-1146 µs each, about 0.45 ms per run)
     * but compiling took 140 ms more (bench, 5 alternated fresh JVMs, medians 464 against 324 ms):
     * left direct.
     */
    static boolean oneDnnWinograd(KernelProvider.ConvSpec spec) {
        if (!isX86() || spec.inputShape().length != 4 || spec.group() != 1) return false;
        long[] w = spec.weightShape();
        boolean threeByThree = w[2] == 3 && w[3] == 3;
        boolean unitSteps = spec.strides()[0] == 1 && spec.strides()[1] == 1
                && spec.dilations()[0] == 1 && spec.dilations()[1] == 1;
        boolean largePlane = spec.outputShape()[2] * spec.outputShape()[3] >= WINOGRAD_MIN_OUTPUT_PLANE;
        return threeByThree && unitSteps && largePlane && w[0] % CHANNEL_BLOCK == 0 && w[1] % CHANNEL_BLOCK == 0;
    }

    /**
     * Whether a direct float convolution that exchanges its activations in 16-channel blocks
     * ({@link #oneDnnUniformChannelBlocks}) runs on nhwc copies of them instead, reordered in and
     * out inside its program: oneDNN 2.6 has its brgemm kernel ({@code brgconv}) for nhwc only, and
     * on this AMD Zen 5 machine (full-width AVX-512) it ran ResNet-18's direct 3x3 layers much
     * faster than the nChw16c kernel ({@code jit:avx512_core}), which the Zen 4 figures above did
     * not show (single thread, oneDNN verbose, least of 5 runs, load 5-6, nhwc vs nChw16c µs):
     * 512→512 @7x7 1048 vs 1545, stride 2 256→512 @14 511 vs 785, 128→256 @28 432 vs 553,
     * 64→128 @56 421 vs 484 (the two reorders of that one, 1x64x56x56 in and 1x128x28x28 out,
     * 16 and 11 µs). Dense kernels larger than 1x1 with both channel counts multiples of
     * {@value #CHANNEL_BLOCK}, so that the copies have no padding channels, and at least
     * {@value #NHWC_DIRECT_MIN_FLOPS} FLOP: the reorders' fixed cost made digits_cnn's tiny layers
     * slower (per-node minima, 3 alternated rounds: 16→32 @8x8, 0.6 MFLOP, 3.3 against 2.6 µs;
     * 32→32 @4x4 2.1 against 1.8 µs). The bound between is a guard, not measured.
     */
    static boolean oneDnnNhwcDirect(KernelProvider.ConvSpec spec) {
        if (!isX86() || spec.inputShape().length != 4 || spec.group() != 1 || isPointwise(spec)) return false;
        long in = spec.inputShape()[1], out = spec.outputShape()[1];
        return in % CHANNEL_BLOCK == 0 && out % CHANNEL_BLOCK == 0 && spec.flops() >= NHWC_DIRECT_MIN_FLOPS;
    }

    /** FLOPs from which a direct convolution may run on nhwc copies, see {@link #oneDnnNhwcDirect}. */
    static final long NHWC_DIRECT_MIN_FLOPS = 10_000_000;

    /** Output positions (14x14) from which a convolution may run as Winograd, see {@link #oneDnnWinograd}. */
    static final long WINOGRAD_MIN_OUTPUT_PLANE = 196;

    /**
     * Whether a float 2-D convolution with at least {@value #CHANNEL_BLOCK} channels on one side
     * asks for nChw16c activations (the narrower side, if under 16 channels, left to oneDNN)
     * everywhere, also where the planner may keep them between oneDNN convolutions, instead of
     * oneDNN's own choice (nhwc for its direct kernels). Channel counts that are not multiples of
     * 16 are padded to a block: MobileNetV2's 24-channel 1x1 layers cost 40-60 µs more each, and
     * its 24-channel residual Add keeps those values NCHW (the planner runs element-wise steps only
     * on layouts without padding); the layers before them gained as much (per-node minima, loaded
     * machine: 7.245 ms before, 7.309 ms after, inside the noise). The Winograd convolutions ({@link #oneDnnWinograd}) exist only for nChw16c, and a
     * value between two oneDNN convolutions stays in their layout only when both agree on it: with
     * ResNet-18's 3x3 stride-1 layers on Winograd and the rest on oneDNN's choice, layers 2-4 lost
     * their blocked chain. oneDNN's nChw16c kernels ran these shapes as fast as its nhwc ones here
     * (single thread, ReLU post-op, min of 60, nhwc vs nChw16c, µs): ResNet-18 3x3 stride 2 64→128
     * @56 973/979, 128→256 @28 955/945, 256→512 @14 909/903, 1x1 stride 2 116/115, 117/114, 115/111;
     * MobileNetV2 1x1 32→16 @112 122/111, 16→96 @112 392/357, 192→32 @28 84/84, 96→576 @14 191/186,
     * 320→1280 @7 350/345, depthwise 96 @112 stride 2 109/96, 144 @56 167/156, 192 @28 57/52,
     * 576 @14 30/31, 960 @7 12/14.
     */
    static boolean oneDnnUniformChannelBlocks(KernelProvider.ConvSpec spec) {
        if (!isX86() || spec.inputShape().length != 4) return false;
        return spec.inputShape()[1] >= CHANNEL_BLOCK || spec.outputShape()[1] >= CHANNEL_BLOCK;
    }

    /** Whether a convolution runs faster in oneDNN's blocked layout despite the reorders around it. */
    static boolean oneDnnBlocked(KernelProvider.ConvSpec spec) {
        if (spec.isDepthwise()) return true;
        long channels = spec.inputShape()[1] / spec.group();
        return channels >= (isPointwise(spec) ? POINTWISE_BLOCKED_MIN_CHANNELS : DENSE_BLOCKED_MIN_CHANNELS);
    }

    /**
     * Whether an LSTM that oneDNN's primitive can run ({@link DnnlLstmKernel}) runs there rather
     * than on the Java kernel for the node's first run ({@link ColdStart}; the Java kernel after it):
     * every one, on x86-64, for the time to first result. oneDNN's brgemm
     * LSTM is native from the first call, where the Java kernel's Vector API steps run in the
     * interpreter until C2 compiled them. kws_lstm, 1 thread, fresh processes alternated with the
     * Java LSTM at load 12-15: the first run took 13-16 ms of main-thread CPU against 46-73 ms
     * (30-40 against 140-210 ms of process CPU, JIT threads included), runs 2 to 100 0.18-0.24 s
     * against 1.35-2.7 s, runs 2 to 5001 2.5-3.3 s against 4.2-6.3 s. The price is steady state:
     * once C2 compiled the Java steps, the whole model runs 1.70-1.93x slower than with them (40
     * interleaved rounds of 200 runs in one process after 3000 warm-up runs, 1 and 2 threads; best
     * rounds 80-84 against 47 µs), hence Java after the first run. {@code -Dedgerun.onednn.lstm=off}
     * keeps the Java LSTM from the start.
     */
    static boolean oneDnnLstm(DnnlLstmKernel.Spec spec) {
        return isX86();
    }

    // ---- appended by the binary task (issue 4): element-wise Add, Sub, Mul, Div ----

    /**
     * oneDNN's binary primitive in automatic selection: Add, Sub, Mul and Div with at least
     * {@value #BINARY_MIN_ELEMENTS} output elements. Steady state, single thread, same-shape Add,
     * best of 15 interleaved batches per size, two alternated processes each, load 9-11, oneDNN
     * µs / Java µs (plain; then with Relu, a post-op against the Java epilogue pass): 1024
     * elements 0.53-0.80/0.06 (9-14x slower); 2048 0.58-0.71/0.10-0.12 (4.7-7.3x); 4096 0.84-0.88
     * against 0.43-1.51 (ratio 0.55-2.0, noise of the load), with Relu 1.33-1.69/1.43-2.01 (0.84-0.94);
     * 8192 1.29-1.30/0.86-1.22 (1.07-1.5), with Relu 1.34/1.39-2.69 (0.50-0.97); 16384 2.13-2.14/2.20-2.72
     * (0.78-0.97); 65536 8.1-8.4/9.8-10.1 (0.82-0.83), with Relu 7.7-8.4/13.3-22.8 (0.37-0.58).
     * At the residual sizes of MobileNetV2 and ResNet-18 (same runs, load 12-13), plain: 7840
     * elements 1.27/0.85 (1.48), 12544 1.76-1.79/1.35 (1.31-1.33), 18816 2.43/2.01 (1.21), 25088
     * 3.05-3.35/2.67-2.77 (1.14-1.21), 75264 10.1-10.2/9.1-9.5 (1.07-1.11), 100352 13.4-13.6/14.7-16.5
     * (0.81-0.93); with Relu 7840 1.27-4.06/1.32-1.34 (0.96-3.04), 12544-75264 0.71-0.85, 100352-200704
     * 0.31-0.74. So oneDNN costs a plain Add up to 0.45 µs per call below 100k elements (at most
     * 4.5 µs per MobileNetV2 run, 10 Adds, 0.02% of its 20 ms) and saves an Add with its Relu
     * 15-50%; from 4096 elements it also spares the first run the interpreted Java kernel
     * (MobileNetV2's first residual Add, 75264 elements: 60-90 ms cold), which takes about 15000
     * runs to repay at that cost. (Max and Min never run there: see {@link DnnlBinaryKernel#create}.)
     */
    static boolean oneDnnBinary(dev.edgerun.runtime.kernels.F32BinaryOp op, long elements) {
        boolean arithmetic = switch (op) {
            case ADD, SUB, MUL, DIV -> true;
            default -> false;
        };
        return arithmetic && elements >= BINARY_MIN_ELEMENTS;
    }

    static final long BINARY_MIN_ELEMENTS = 4096;
}
