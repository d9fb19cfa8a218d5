package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelSelection;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A float32 ONNX LSTM (default activations, no peepholes, clip, input_forget or sequence_lens,
 * layout 0) run by oneDNN 2.x's vanilla LSTM primitive ({@code dnnl_lstm_forward_desc_init}),
 * forward, reverse or bidirectional. oneDNN's kernels are native, so the first run is as fast as
 * the others, where the Java kernel runs interpreted until C2 compiled it.
 *
 * <p>What differs from ONNX, and how it is bridged:
 * <ul>
 *   <li>Gate order: oneDNN's is i, f, c̃, o; ONNX's i, o, f, c. W {@code [D, 4H, I]} and R
 *       {@code [D, 4H, H]} are copied gate block by gate block into oneDNN's order (the layout
 *       {@code ldgoi}), then reordered into the layout the primitive chose ({@code any}): once
 *       here when constant, by reorder steps before the LSTM in every run otherwise.</li>
 *   <li>Bias: oneDNN has one, {@code [D, 4, H]} ({@code ldgo}); ONNX two, Wb and Rb, whose sum
 *       it is (again in oneDNN's gate order).</li>
 *   <li>Y: oneDNN's {@code [T, N, D·H]} is ONNX's {@code [T, D, N, H]} when D or N is 1; else it is
 *       written to scratch and copied into Y by (t, d, n) rows.</li>
 *   <li>States: initial_h/initial_c and Y_h/Y_c are oneDNN's {@code [1, D, N, H]} as they are.
 *       oneDNN takes h and c together or neither: a missing one of the pair reads zeros, an
 *       unwanted one of the outputs is written to scratch.</li>
 * </ul>
 */
public final class DnnlLstmKernel extends DnnlKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** oneDNN's gate g (i, f, c̃, o) is ONNX's gate {@code ONNX_GATE[g]} (i, o, f, c). */
    private static final int[] ONNX_GATE = {0, 2, 3, 1};
    private static final int LEFT_TO_RIGHT = 0, RIGHT_TO_LEFT = 1, BIDIRECTIONAL_CONCAT = 2; // dnnl_rnn_direction_t
    private static final int ARG_SRC_ITER = 2, ARG_SRC_ITER_C = 3, ARG_DST_ITER = 18, ARG_DST_ITER_C = 19,
            ARG_WEIGHTS_ITER = 34;
    private static final int QUERY_EXEC_ARG_MD = 255;
    /** {@code dnnl_rnn_desc_t} of 2.x: 4 enums, 24 memory descriptors, flags, activation kind, alpha, beta. */
    private static final long RNN_DESC_BYTES = 16 + 24 * Dnnl.MD_BYTES + 16;

    /**
     * Native memory at absolute addresses: the scratch buffers' addresses come from the
     * {@link ScratchPlan} (within the engine's scratch, or a slot's own), so they are written through
     * this one segment without making a segment per buffer and run.
     */
    private static final MemorySegment NATIVE = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    // buffers: 0-7 lie in scratch (ScratchPlan), 8-13 are the node's tensors
    private static final int SCRATCHPAD = 0, W_GATES = 1, R_GATES = 2, BIAS_SUM = 3, Y_ROWS = 4, STATE_SINK = 5,
            W_ORDERED = 6, R_ORDERED = 7;
    private static final int X = 8, Y = 9, H0 = 10, C0 = 11, HN = 12, CN = 13;
    private static final int BUFFERS = 14;

    /**
     * One LSTM node: sequence length T, batch N, input size I, hidden size H, 1 or 2 directions
     * ({@code reverse}: the one direction runs backwards in time); which optional inputs it has and
     * which outputs it wants.
     */
    public record Spec(int seqLength, int batch, int inputSize, int hidden, int directions, boolean reverse,
                       boolean hasBias, boolean hasInitialH, boolean hasInitialC,
                       boolean wantY, boolean wantYh, boolean wantYc) {
        long weightFloats(int columns) {
            return (long) directions * 4 * hidden * columns;
        }

        long stateFloats() {
            return (long) directions * batch * hidden;
        }

        long yFloats() {
            return (long) seqLength * batch * directions * hidden;
        }

        /** Whether oneDNN's Y rows {@code [T, N, D·H]} are ONNX's Y {@code [T, D, N, H]} as they are. */
        boolean yInPlace() {
            return wantY && (directions == 1 || batch == 1);
        }
    }

    /** {@value #PROPERTY}: {@code auto} (default: {@link NativeKernelRules#oneDnnLstm}) or {@code off} (the Java LSTM, for comparisons). */
    public static final String PROPERTY = "edgerun.onednn.lstm";

    /** {@value #WEIGHTS_PROPERTY}: {@code any} (default) or {@code plain}, see {@link #weightsTag}. */
    public static final String WEIGHTS_PROPERTY = "edgerun.onednn.lstmWeights";

    private final Spec spec;
    private final MemorySegment constantW; // [D, 4H, I] in ONNX's order, or null: W arrives per run
    private final MemorySegment constantR; // [D, 4H, H], or null
    private final MemorySegment constantB; // [D, 8H], or null: B arrives per run (or there is none)
    private final Downcall lstmDescInit;
    private final Downcall queryMd;

    private DnnlLstmKernel(Dnnl dnnl, Spec spec, MemorySegment w, MemorySegment r, MemorySegment b) {
        super(dnnl);
        this.spec = spec;
        this.constantW = w;
        this.constantR = r;
        this.constantB = b;
        this.lstmDescInit = dnnl.function("dnnl_lstm_forward_desc_init", "wwwwwwwwwwwww");
        this.queryMd = dnnl.function("dnnl_primitive_desc_query_md", "www");
    }

    /**
     * The kernel for {@code spec} with the constant operands given (each null when it arrives at run
     * time), or empty where oneDNN is not among the kernel providers in use, its rule or
     * {@value #PROPERTY} leaves the node to Java, or oneDNN lacks the LSTM or fails to plan it.
     */
    public static Optional<DnnlLstmKernel> create(Spec spec, MemorySegment constantW, MemorySegment constantR,
                                                  MemorySegment constantB) {
        if (System.getProperty(PROPERTY, "auto").trim().equals("off")) return Optional.empty();
        if (KernelSelection.defaults().provider("onednn").isEmpty()) return Optional.empty();
        if (!ProviderAttempts.forced("onednn") && !NativeKernelRules.oneDnnLstm(spec)) return Optional.empty();
        Dnnl dnnl = Dnnl.get();
        if (!dnnl.function("dnnl_lstm_forward_desc_init", "wwwwwwwwwwwww").present()) return Optional.empty();
        return ATTEMPTS.attempt("LSTM", spec, () -> {
            DnnlLstmKernel k = new DnnlLstmKernel(dnnl, spec, constantW, constantR, constantB);
            return k.initialize() ? k : null;
        });
    }

    /** A failure of oneDNN while planning an LSTM is logged once and leaves the node to the Java kernel. */
    private static final ProviderAttempts ATTEMPTS = new ProviderAttempts("oneDNN", DnnlLstmKernel.class);

    public long scratchBytes() {
        return defaultBuilt().scratch().total();
    }

    @Override
    long flops() {
        return 2L * spec.seqLength * spec.batch * spec.directions * 4 * spec.hidden * (spec.inputSize + spec.hidden);
    }

    @Override
    Built buildIn(Arena arena, int threads) {
        Spec s = spec;
        int d = s.directions, h = s.hidden;
        MemorySegment xMd = plain(arena, s.seqLength, s.batch, s.inputSize);
        MemorySegment yMd = plain(arena, s.seqLength, s.batch, (long) d * h);
        MemorySegment stateMd = plain(arena, 1, d, s.batch, h);
        MemorySegment biasMd = plain(arena, 1, d, 4, h);
        int weightsTag = weightsTag();
        MemorySegment wAny = dnnl.mdByTag(arena, new long[] {1, d, s.inputSize, 4, h}, Dnnl.F32, weightsTag);
        MemorySegment rAny = dnnl.mdByTag(arena, new long[] {1, d, h, 4, h}, Dnnl.F32, weightsTag);
        boolean statesIn = s.hasInitialH || s.hasInitialC, statesOut = s.wantYh || s.wantYc;
        MemorySegment desc = lstmDesc(arena, xMd, statesIn ? stateMd : null, wAny, rAny, biasMd, yMd,
                statesOut ? stateMd : null);
        long pd = createPrimitiveDesc(desc, 1f, false, threads);
        if (pd == 0) return null;
        try {
            MemorySegment wChosen = dnnl.queryMd(arena, pd, Dnnl.QUERY_WEIGHTS_MD);
            MemorySegment rChosen = argMd(arena, pd, ARG_WEIGHTS_ITER);
            MemorySegment scratchpadMd = dnnl.queryMd(arena, pd, Dnnl.QUERY_SCRATCHPAD_MD);
            MemorySegment wGates = gateOrdered(arena, s.inputSize), rGates = gateOrdered(arena, h);
            ScratchPlan scratch = new ScratchPlan();
            List<DnnlProgram.Step> steps = new ArrayList<>();
            List<DnnlProgram.Arg> args = new ArrayList<>();
            args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_SRC, xMd, X));
            args.add(weights(arena, Dnnl.ARG_WEIGHTS, constantW, s.inputSize, wGates, wChosen, W_GATES, W_ORDERED, scratch, steps));
            args.add(weights(arena, ARG_WEIGHTS_ITER, constantR, h, rGates, rChosen, R_GATES, R_ORDERED, scratch, steps));
            args.add(bias(arena, biasMd, scratch));
            args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_DST, yMd, s.yInPlace() ? Y : Y_ROWS));
            if (!s.yInPlace()) scratch.add(Y_ROWS, 4 * s.yFloats());
            if (statesIn) {
                args.add(stateIn(arena, ARG_SRC_ITER, stateMd, s.hasInitialH, H0));
                args.add(stateIn(arena, ARG_SRC_ITER_C, stateMd, s.hasInitialC, C0));
            }
            if (statesOut) {
                args.add(DnnlProgram.Arg.buffer(ARG_DST_ITER, stateMd, s.wantYh ? HN : STATE_SINK));
                args.add(DnnlProgram.Arg.buffer(ARG_DST_ITER_C, stateMd, s.wantYc ? CN : STATE_SINK));
                if (!s.wantYh || !s.wantYc) scratch.add(STATE_SINK, 4 * s.stateFloats());
            }
            long scratchpad = dnnl.mdSize(scratchpadMd);
            scratch.add(SCRATCHPAD, scratchpad);
            if (scratchpad > 0) args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_SCRATCHPAD, scratchpadMd, SCRATCHPAD));
            String impl = dnnl.implementation(pd);
            steps.add(new DnnlProgram.Step(dnnl.primitiveCreate(pd), args));
            DnnlProgram program = new DnnlProgram(dnnl, steps, BUFFERS, threads, arena, List.of());
            return new Built(program, scratch, 0, impl);
        } finally {
            dnnl.primitiveDescDestroy(pd);
        }
    }

    /**
     * The layout asked for W and R: {@value #WEIGHTS_PROPERTY} {@code any} (default) lets oneDNN 2.6
     * choose, and it chooses its brgemm LSTM and that layout; {@code plain} asks for {@code ldigo},
     * for which it offers only its gemm-based one ("ref", with jitted cell code). brgemm runs the
     * first time as fast as later: kws_lstm's LSTM node took 0.8-1.1 ms over the first two runs
     * against 52-145 ms for ref (3 alternated processes each, load 12); ref is faster in steady
     * state (whole model against the Java LSTM, 1 thread, 40 interleaved rounds of 200 runs in one
     * process, load 15: ref 1.33-1.44x, brgemm 1.70-1.79x).
     */
    private static int weightsTag() {
        return System.getProperty(WEIGHTS_PROPERTY, "any").trim().equals("plain") ? Dnnl.plainTag(5) : Dnnl.TAG_ANY;
    }

    private MemorySegment lstmDesc(Arena arena, MemorySegment x, MemorySegment statesIn, MemorySegment w,
                                   MemorySegment r, MemorySegment bias, MemorySegment y, MemorySegment statesOut) {
        MemorySegment desc = arena.allocate(RNN_DESC_BYTES, 8);
        int direction = spec.directions == 2 ? BIDIRECTIONAL_CONCAT : spec.reverse ? RIGHT_TO_LEFT : LEFT_TO_RIGHT;
        try {
            Dnnl.check((int) lstmDescInit.call(desc.address(), Dnnl.FORWARD_INFERENCE, direction, x.address(),
                    address(statesIn), address(statesIn), w.address(), r.address(), address(bias), y.address(),
                    address(statesOut), address(statesOut), 0), "dnnl_lstm_forward_desc_init");
        } catch (Throwable t) {
            throw Dnnl.rethrow(t, "dnnl_lstm_forward_desc_init");
        }
        return desc;
    }

    private static long address(MemorySegment md) {
        return md == null ? 0 : md.address();
    }

    private MemorySegment plain(Arena arena, long... dims) {
        return dnnl.mdByTag(arena, dims, Dnnl.F32, Dnnl.plainTag(dims.length));
    }

    /** The memory descriptor the primitive chose for execution argument {@code arg}. */
    private MemorySegment argMd(Arena arena, long pd, int arg) {
        try {
            MemorySegment md = MemorySegment.ofAddress(queryMd.call(pd, QUERY_EXEC_ARG_MD, arg)).reinterpret(Dnnl.MD_BYTES);
            return arena.allocate(Dnnl.MD_BYTES, 8).copyFrom(md);
        } catch (Throwable t) {
            throw Dnnl.rethrow(t, "dnnl_primitive_desc_query_md(exec_arg_md)");
        }
    }

    /**
     * Weights {@code [1, D, columns, 4, H]} laid out as {@code ldgoi} ({@code [D][gate][H][columns]}):
     * ONNX's layout, its gate blocks in oneDNN's order.
     */
    private MemorySegment gateOrdered(Arena arena, int columns) {
        int d = spec.directions, h = spec.hidden;
        long o = columns, g = (long) h * columns, dir = 4 * g;
        return dnnl.mdByStrides(arena, new long[] {1, d, columns, 4, h}, Dnnl.F32, new long[] {d * dir, dir, 1, g, o});
    }

    /**
     * The weights argument: a constant reordered once into {@code chosen}, or the per-run buffer
     * {@code ordered} filled by a reorder step from buffer {@code gates} (the run's W or R in gate order).
     */
    private DnnlProgram.Arg weights(Arena arena, int arg, MemorySegment constant, int columns, MemorySegment gates,
                                    MemorySegment chosen, int gatesBuffer, int orderedBuffer, ScratchPlan scratch,
                                    List<DnnlProgram.Step> steps) {
        if (constant != null) {
            try (Arena temp = Arena.ofConfined()) {
                MemorySegment ordered = temp.allocate(4 * spec.weightFloats(columns), 64);
                copyGateOrdered(constant, 0, ordered, 0, columns);
                return DnnlProgram.Arg.fixed(arg, reorderConstant(arena, gates, chosen, ordered, new ArrayList<>()));
            }
        }
        scratch.add(gatesBuffer, 4 * spec.weightFloats(columns));
        scratch.add(orderedBuffer, dnnl.mdSize(chosen));
        steps.add(reorderStep(gates, gatesBuffer, chosen, orderedBuffer));
        return DnnlProgram.Arg.buffer(arg, chosen, orderedBuffer);
    }

    /**
     * The bias Wb + Rb in oneDNN's gate order: made once when constant, else per run into scratch;
     * zeros without B (with no bias descriptor, nodes without B got no oneDNN kernel in DnnlLstmKernelTest).
     */
    private DnnlProgram.Arg bias(Arena arena, MemorySegment biasMd, ScratchPlan scratch) {
        long bytes = 4L * spec.directions * 4 * spec.hidden;
        if (constantB != null || !spec.hasBias) {
            MemorySegment sum = arena.allocate(bytes, 64); // allocated zeroed
            if (constantB != null) addBiases(constantB, sum, 0);
            return DnnlProgram.Arg.fixed(Dnnl.ARG_BIAS, dnnl.memoryCreate(biasMd, sum.address()));
        }
        scratch.add(BIAS_SUM, bytes);
        return DnnlProgram.Arg.buffer(Dnnl.ARG_BIAS, biasMd, BIAS_SUM);
    }

    /** An initial state: the node's input, or zeros when only the other one of h and c is given. */
    private DnnlProgram.Arg stateIn(Arena arena, int arg, MemorySegment stateMd, boolean given, int buffer) {
        if (given) return DnnlProgram.Arg.buffer(arg, stateMd, buffer);
        MemorySegment zeros = arena.allocate(4 * spec.stateFloats(), 64); // allocated zeroed
        return DnnlProgram.Arg.fixed(arg, dnnl.memoryCreate(stateMd, zeros.address()));
    }

    /** W or R ({@code [D, 4H, columns]}, ONNX gate order) copied into {@code dst} in oneDNN's gate order. */
    private void copyGateOrdered(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int columns) {
        long block = 4L * spec.hidden * columns;
        for (int d = 0; d < spec.directions; d++) {
            for (int g = 0; g < 4; g++) {
                long direction = 4 * d * block;
                MemorySegment.copy(src, srcOff + direction + ONNX_GATE[g] * block, dst, dstOff + direction + g * block, block);
            }
        }
    }

    /** {@code dst[d, g, j] = Wb[d, g', j] + Rb[d, g', j]} for B {@code [D, 8H]}, g' ONNX's index of oneDNN's gate g. */
    private void addBiases(MemorySegment b, MemorySegment dst, long dstOff) {
        int h = spec.hidden;
        for (int d = 0; d < spec.directions; d++) {
            for (int g = 0; g < 4; g++) {
                long wb = 4L * (d * 8L * h + (long) ONNX_GATE[g] * h), rb = wb + 4L * 4 * h;
                long at = dstOff + 4L * (d * 4L + g) * h;
                for (int j = 0; j < h; j++) dst.set(F, at + 4L * j, b.get(F, wb + 4L * j) + b.get(F, rb + 4L * j));
            }
        }
    }

    /**
     * Runs the LSTM: {@code w}, {@code r}, {@code b} are read only when not constant; {@code b},
     * {@code h0}, {@code c0} are null when absent, {@code y}, {@code yh}, {@code yc} when not wanted
     * (as the spec says). Every segment but {@code w}, {@code r} and {@code b} must be native; {@code scratch} of
     * {@link #scratchBytes} (oneDNN's scratchpad, W and R in gate order and reordered when not
     * constant, the bias sum, Y's rows and an unwanted state).
     */
    public void run(MemorySegment x, MemorySegment w, MemorySegment r, MemorySegment b, MemorySegment h0,
                    MemorySegment c0, MemorySegment y, MemorySegment yh, MemorySegment yc, MemorySegment scratch,
                    int threads) {
        Built built = built(threads);
        DnnlProgram.Slot slot = built.program().acquire();
        try {
            built.scratch().assign(slot, scratch);
            if (constantW == null) copyGateOrdered(w, 0, NATIVE, slot.address[W_GATES], spec.inputSize);
            if (constantR == null) copyGateOrdered(r, 0, NATIVE, slot.address[R_GATES], spec.hidden);
            if (spec.hasBias && constantB == null) addBiases(b, NATIVE, slot.address[BIAS_SUM]);
            slot.address[X] = nativeAddress(x, "X");
            slot.address[Y] = spec.yInPlace() ? nativeAddress(y, "Y") : 0;
            slot.address[H0] = spec.hasInitialH ? nativeAddress(h0, "initial_h") : 0;
            slot.address[C0] = spec.hasInitialC ? nativeAddress(c0, "initial_c") : 0;
            slot.address[HN] = spec.wantYh ? nativeAddress(yh, "Y_h") : 0;
            slot.address[CN] = spec.wantYc ? nativeAddress(yc, "Y_c") : 0;
            built.program().run(slot);
            if (spec.wantY && !spec.yInPlace()) copyRowsToY(slot.address[Y_ROWS], y);
        } finally {
            built.program().release(slot);
        }
    }

    private long nativeAddress(MemorySegment m, String name) {
        if (!m.isNative()) throw new NativeKernelException("oneDNN LSTM needs " + name + " in native memory, got a heap segment: " + this);
        return m.address();
    }

    /** oneDNN's rows {@code [T, N, D·H]} (at address {@code rows}) into ONNX's Y {@code [T, D, N, H]}. */
    private void copyRowsToY(long rows, MemorySegment y) {
        int n = spec.batch, dirs = spec.directions;
        long hBytes = 4L * spec.hidden;
        for (int t = 0; t < spec.seqLength; t++) {
            for (int d = 0; d < dirs; d++) {
                for (int b = 0; b < n; b++) {
                    long from = rows + (((long) t * n + b) * dirs + d) * hBytes;
                    long to = (((long) t * dirs + d) * n + b) * hBytes;
                    MemorySegment.copy(NATIVE, from, y, to, hBytes);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "oneDNN LSTM " + defaultBuilt().implementation() + " " + spec;
    }
}
