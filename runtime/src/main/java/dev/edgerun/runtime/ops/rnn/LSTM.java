package dev.edgerun.runtime.ops.rnn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.F32Gemm;
import dev.edgerun.runtime.kernels.F32Gemv;
import dev.edgerun.runtime.kernels.F32Unary;
import dev.edgerun.runtime.kernels.F32UnaryOp;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.LstmCell;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.kernels.RnnDot;
import dev.edgerun.runtime.kernels.RowBiasGemm;
import dev.edgerun.runtime.kernels.nativelib.ColdStart;
import dev.edgerun.runtime.kernels.nativelib.DnnlLstmKernel;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * ONNX LSTM (opsets 1, 7, 14): gates in ONNX order i, o, f, c; peepholes P in order i, o, f;
 * {@code input_forget} couples the forget gate to the input gate (f = 1 - i), as ONNX Runtime does.
 * Batch items run one after another, each over its own {@code sequence_lens} steps; Y is zero
 * past the end of a sequence.
 *
 * <p>Per direction, the input part of every gate for every time step is one GEMM,
 * {@code X·Wᵀ + Wb + Rb}, written into scratch (a kernel provider's GEMM when W is constant, see
 * {@link #projectionKernels}); each step then only adds {@code h·Rᵀ} onto its row and runs the
 * cell. With the default Sigmoid/Tanh/Tanh, no clip, peepholes or input_forget, and a hidden size of
 * whole vectors, a step is one {@link LstmCell#step} (R packed for it once; the product in 16
 * accumulators, then the cell in one pass). Otherwise the product is a one-row product over Rᵀ
 * packed once, as ONNX Runtime's CPU LSTM does (swept in alternating directions,
 * {@link F32Gemv#multiplyBackwards}), then the cell: {@link LstmCell#update} for the default
 * activations, one activation pass per gate block for others with a vector form, and a per-element
 * loop for clip, peepholes, input_forget and activations without one.
 */
public final class LSTM implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        RecurrentSpec spec = new RecurrentSpec(ctx, 4, List.of("Sigmoid", "Tanh", "Tanh"), 3);
        if (ctx.hasInput(6)) spec.expectShape(ctx, 6, "initial_c", spec.stateShape());
        if (ctx.hasInput(7)) spec.expectShape(ctx, 7, "P", Shape.of(spec.numDirections, 3L * spec.hidden));
        boolean inputForget = ctx.attrInt("input_forget", 0) != 0;
        ColdStart coldStart = ColdStart.forNode();
        Kernel oneDnn = coldStart.usesNative() ? oneDnnKernel(ctx, spec, inputForget) : null;
        Kernel java = javaKernel(ctx, spec, inputForget);
        return oneDnn == null ? java : new ColdStartLstm(oneDnn, java, coldStart);
    }

    private static Kernel javaKernel(NodeContext ctx, RecurrentSpec spec, boolean inputForget) {
        F32Gemm gemm = F32Gemm.preferred();
        Tensor w = ctx.constantInput(1);
        Tensor r = ctx.constantInput(2);
        KernelProvider.GemmKernel[] projections = w == null ? null : projectionKernels(ctx, spec, w);
        LstmCell fused = fusedCell(spec, gemm, ctx.hasInput(7), inputForget);
        MemorySegment packedR = r == null || gemm.species() == null ? null
                : packR(gemm, fused, spec, r.data(), F32Gemm.allocatePacked(packedRBytes(gemm, fused, spec)), 0);
        RowBiasGemm.Kernel[] biased = spec.hasBias ? rowBiasForms(projections) : null;
        Tensor b = biased == null ? null : ctx.constantInput(3);
        MemorySegment biasSums = b == null ? null : constantBiasSums(spec, b.data());
        return new LstmKernel(spec, ctx.hasInput(6), ctx.hasInput(7), inputForget, spec.outputTypes(2), gemm, projections,
                biased, biasSums, fused, packedR, ctx.threads());
    }

    /**
     * Wb + Rb of every direction, summed once for a constant B ({@code [directions][4H]}), so that a
     * run passes them to the row-bias projection as they are: the sum in the run took as much JIT
     * arena memory to compile as the rest of the projection (C2 6-7 MB), which a short process keeps
     * as resident memory.
     */
    private static MemorySegment constantBiasSums(RecurrentSpec s, MemorySegment bias) {
        int n = 4 * s.hidden;
        MemorySegment sums = F32Gemm.allocatePacked(4L * s.numDirections * n);
        for (int d = 0; d < s.numDirections; d++) LstmKernel.sumBiases(bias, d, n, sums, 4L * d * n);
        return sums;
    }

    /**
     * oneDNN's LSTM primitive ({@link DnnlLstmKernel}) where it computes this node exactly as ONNX
     * says and its rule chooses it: layout 0, no peepholes, clip or input_forget, the default
     * activations, every sequence full length (no sequence_lens, or a constant one of T for every
     * batch item). Else null: the Java kernel.
     */
    private static Kernel oneDnnKernel(NodeContext ctx, RecurrentSpec s, boolean inputForget) {
        if (s.batchFirst || ctx.hasInput(7) || inputForget || s.clip != Float.POSITIVE_INFINITY || !defaultActivations(s)
                || !fullSequences(ctx, s)) {
            return null;
        }
        boolean hasInitialC = ctx.hasInput(6);
        var spec = new DnnlLstmKernel.Spec(s.seqLength, s.batch, s.inputSize, s.hidden, s.numDirections, s.reverseOnly,
                s.hasBias, s.hasInitialH, hasInitialC, s.wantOutput[0], s.wantOutput[1], s.wantOutput[2]);
        var kernel = DnnlLstmKernel.create(spec, constantData(ctx, 1), constantData(ctx, 2),
                s.hasBias ? constantData(ctx, 3) : null);
        return kernel.<Kernel>map(k -> new OneDnnLstmKernel(k, s, hasInitialC, s.outputTypes(2), ctx.threads(), k.scratchBytes()))
                .orElse(null);
    }

    private static MemorySegment constantData(NodeContext ctx, int input) {
        Tensor t = ctx.constantInput(input);
        return t == null ? null : t.data();
    }

    /** Whether every batch item runs all T steps: no sequence_lens, or a constant one holding T throughout. */
    private static boolean fullSequences(NodeContext ctx, RecurrentSpec s) {
        if (!s.hasSequenceLens) return true;
        Tensor lens = ctx.constantInput(4);
        if (lens == null) return false;
        for (int b = 0; b < s.batch; b++) if (lens.getInt(b) != s.seqLength) return false;
        return true;
    }

    /**
     * oneDNN's LSTM for the node's first run(s) ({@link ColdStart}), the Java kernel after: on the
     * first run the Java LSTM is cold (kws_lstm's node took 422-639 ms over the first two runs,
     * oneDNN's 4-9 ms), once compiled it is the faster (kws_lstm whole model, 1 thread, oneDNN's
     * brgemm LSTM 1.70-1.79x the warm Java LSTM's time, 1.93x at 2 threads; engineer C's
     * measurements, load 7-17). {@code -Dedgerun.onednn.coldStartRuns=0} keeps Java from the start.
     */
    private record ColdStartLstm(Kernel oneDnn, Kernel java, ColdStart coldStart) implements Kernel {
        @Override public List<ValueType> outputTypes() { return java.outputTypes(); }
        @Override public long scratchBytes() { return Math.max(oneDnn.scratchBytes(), java.scratchBytes()); }

        @Override
        public void run(RunContext ctx) {
            (inNativeMemory(ctx) && coldStart.nativeNow() ? oneDnn : java).run(ctx);
        }

        /** oneDNN reads native memory only; a caller's heap tensor (an input or initial state) goes to Java. */
        private static boolean inNativeMemory(RunContext ctx) {
            for (int i = 0; i < ctx.inputCount(); i++) {
                Tensor t = ctx.input(i);
                if (t != null && !t.data().isNative()) return false;
            }
            return true;
        }

        @Override
        public String toString() {
            return oneDnn + " for the first run(s), then " + java.getClass().getSimpleName();
        }
    }

    /** The node on {@link DnnlLstmKernel}: inputs and outputs handed over as they are. */
    private record OneDnnLstmKernel(DnnlLstmKernel lstm, RecurrentSpec s, boolean hasInitialC, List<ValueType> outputTypes,
                                    int threads, long scratchBytes) implements Kernel {
        @Override
        public void run(RunContext ctx) {
            lstm.run(ctx.input(0).data(), ctx.input(1).data(), ctx.input(2).data(), s.hasBias ? ctx.input(3).data() : null,
                    s.hasInitialH ? ctx.input(5).data() : null, hasInitialC ? ctx.input(6).data() : null,
                    s.wantOutput[0] ? ctx.output(0).data() : null, s.wantOutput[1] ? ctx.output(1).data() : null,
                    s.wantOutput[2] ? ctx.output(2).data() : null, ctx.scratch(), Parallel.of(ctx, threads).threads());
        }

        @Override
        public String toString() {
            return lstm.toString();
        }
    }

    /**
     * The cell that runs whole steps ({@link LstmCell#step}: the recurrent product and the cell
     * update in registers) when nothing asks for the general cell: vectors on, the default
     * activations, no clip, peepholes or input_forget, and a hidden size of whole vectors. Else null.
     */
    private static LstmCell fusedCell(RecurrentSpec s, F32Gemm gemm, boolean hasPeepholes, boolean inputForget) {
        if (gemm.species() == null || hasPeepholes || inputForget || s.clip != Float.POSITIVE_INFINITY
                || !defaultActivations(s)) {
            return null;
        }
        LstmCell cell = LstmCell.of(gemm.species());
        return cell.fusesStep(s.hidden) ? cell : null;
    }

    private static boolean defaultActivations(RecurrentSpec s) {
        for (int d = 0; d < s.numDirections; d++) {
            if (s.activation(d, 0).unaryOp() != F32UnaryOp.SIGMOID || s.activation(d, 1).unaryOp() != F32UnaryOp.TANH
                    || s.activation(d, 2).unaryOp() != F32UnaryOp.TANH) {
                return false;
            }
        }
        return true;
    }

    /** Bytes of R packed for {@code fused}'s steps, or as transposed GEMM B operands when it is null. */
    private static long packedRBytes(F32Gemm gemm, LstmCell fused, RecurrentSpec s) {
        return fused == null ? packedBytes(gemm, s, s.hidden) : 4L * s.numDirections * LstmCell.packedRecurrenceSize(s.hidden);
    }

    /** R of every direction packed for {@code fused}'s steps, or as Rᵀ GEMM B panels when it is null. */
    private static MemorySegment packR(F32Gemm gemm, LstmCell fused, RecurrentSpec s, MemorySegment r, MemorySegment dst,
                                       long dstOff) {
        if (fused == null) return packTransposed(gemm, s, s.hidden, r, dst, dstOff);
        long perDirection = 4L * LstmCell.packedRecurrenceSize(s.hidden);
        for (int d = 0; d < s.numDirections; d++) {
            fused.packRecurrence(r, d * perDirection, s.hidden, dst, dstOff + d * perDirection);
        }
        return dst;
    }

    /**
     * Per direction, the input product {@code X·Wᵀ} (+ the bias already in the output) as the GEMM
     * kernel the kernel providers choose for it, W constant: with automatic selection that is
     * oneDNN's matmul (kws_lstm's 49x256x40: 9.5 against 12.6 µs in Java), otherwise the Java GEMM.
     */
    private static KernelProvider.GemmKernel[] projectionKernels(NodeContext ctx, RecurrentSpec s, Tensor w) {
        int n = 4 * s.hidden;
        long perDirection = 4L * n * s.inputSize;
        KernelProvider.GemmKernel[] kernels = new KernelProvider.GemmKernel[s.numDirections];
        for (int d = 0; d < s.numDirections; d++) {
            Tensor wd = Tensor.wrap(DType.FLOAT, Shape.of(n, s.inputSize), w.data().asSlice(d * perDirection, perDirection));
            var gemmSpec = new KernelProvider.GemmSpec(DType.FLOAT, s.seqLength * s.batch, n, s.inputSize, false, true, 1f,
                    s.hasBias, null, wd, null);
            kernels[d] = KernelSelection.defaults().gemm(gemmSpec)
                    .orElseThrow(() -> ctx.unsupported("no kernel provider supports " + gemmSpec));
        }
        return kernels;
    }

    /** {@value #ROW_BIAS_PROPERTY}: {@code on} (default, {@link #rowBiasForms}) or {@code off} (bias rows filled first); read per node. */
    static final String ROW_BIAS_PROPERTY = "edgerun.lstm.rowBias";

    /**
     * The projections' forms that add a bias row themselves ({@link RowBiasGemm}), or null when one
     * has none (or there are none): then the bias is filled into every row first and the product
     * accumulates onto it. kws_lstm (49 rows of 256): the fill took 0.37 µs of the LSTM's 23.
     */
    private static RowBiasGemm.Kernel[] rowBiasForms(KernelProvider.GemmKernel[] projections) {
        if (projections == null || System.getProperty(ROW_BIAS_PROPERTY, "on").trim().equals("off")) return null;
        RowBiasGemm.Kernel[] forms = new RowBiasGemm.Kernel[projections.length];
        for (int d = 0; d < forms.length; d++) {
            forms[d] = projections[d] instanceof RowBiasGemm r ? r.withRowBias() : null;
            if (forms[d] == null) return null;
        }
        return forms;
    }

    /** Bytes of W or R ({@code [4H x k]} per direction) packed as transposed GEMM B operands. */
    private static long packedBytes(F32Gemm gemm, RecurrentSpec s, int k) {
        return 4L * s.numDirections * gemm.packedBSize(k, 4 * s.hidden);
    }

    /** Packs Mᵀ of every direction ({@code [k x 4H]}, element (p, row) = M[d, row, p]) into {@code dst}. */
    private static MemorySegment packTransposed(F32Gemm gemm, RecurrentSpec s, int k, MemorySegment m, MemorySegment dst,
                                                long dstOff) {
        long perDirection = 4L * gemm.packedBSize(k, 4 * s.hidden);
        for (int d = 0; d < s.numDirections; d++) {
            gemm.packB(m, 4L * d * 4 * s.hidden * k, 1, k, k, 4 * s.hidden, dst, dstOff + d * perDirection);
        }
        return dst;
    }

    private static final class LstmKernel implements Kernel {
        private final RecurrentSpec s;
        private final boolean hasInitialC;
        private final boolean hasPeepholes;
        private final boolean inputForget;
        private final List<ValueType> types;
        private final RnnDot dot = RnnDot.DEFAULT;
        private final F32Gemm gemm;
        private final F32Gemv gemv;          // null: scalar kernels, h·Rᵀ by dot products
        private final MemorySegment packedR; // null: packed into scratch per run, or not packed (scalar)
        private final boolean vectorGates;   // gate activations applied to whole vectors
        private final LstmCell cell;         // its one-pass update (LstmCell.update) for the default activations; else null
        private final LstmCell fused;        // whole steps (LstmCell.step, see fusedCell), R packed for it; else null
        private final long packedRDirection; // bytes of packed R per direction (0 without vectors: R read in place)
        private final KernelProvider.GemmKernel[] projections; // per direction when W is constant; else null: W packed per run
        private final RowBiasGemm.Kernel[] biasedProjections;  // their row-bias forms, with B; else null: bias rows filled first
        private final MemorySegment biasSums; // Wb + Rb per direction for biasedProjections when B is constant; else null
        private final long biasSumAt;        // scratch byte offset of Wb + Rb (one row) for biasedProjections, B not constant
        private final int threads;
        private final int rows;              // rows of X: seqLength * batch
        private final long tanhAt;           // scratch byte offsets
        private final long packedXAt;
        private final long projectionAt;
        private final long packedWAt;
        private final long packedRAt;
        private final long scratchBytes;

        LstmKernel(RecurrentSpec s, boolean hasInitialC, boolean hasPeepholes, boolean inputForget, List<ValueType> types,
                   F32Gemm gemm, KernelProvider.GemmKernel[] projections, RowBiasGemm.Kernel[] biasedProjections,
                   MemorySegment biasSums, LstmCell fused, MemorySegment packedR, int threads) {
            this.s = s;
            this.hasInitialC = hasInitialC;
            this.hasPeepholes = hasPeepholes;
            this.inputForget = inputForget;
            this.types = types;
            this.gemm = gemm;
            this.gemv = gemm.species() == null ? null : new F32Gemv(gemm);
            this.projections = projections;
            this.biasedProjections = biasedProjections;
            this.biasSums = biasSums;
            this.packedR = packedR;
            this.fused = fused;
            this.packedRDirection = gemv == null ? 0 : packedRBytes(gemm, fused, s) / s.numDirections;
            this.vectorGates = !hasPeepholes && !inputForget && s.clip == Float.POSITIVE_INFINITY
                    && java.util.Arrays.stream(s.activations).allMatch(a -> a.unaryOp() != null);
            this.cell = vectorGates && gemm.species() != null && defaultActivations(s) ? LstmCell.of(gemm.species()) : null;
            this.rows = s.seqLength * s.batch;
            this.threads = threads;
            this.tanhAt = 4L * 2 * s.hidden;
            long stateEnd = tanhAt + 4L * s.hidden;
            this.packedXAt = stateEnd;
            // a projection kernel's scratch starts at 0, over the state and packed X: it is done
            // before the state of its direction is set, and the previous direction's is written out
            long beforeProjection = projections == null ? packedXAt + 4L * F32Gemm.packedASize(rows, s.inputSize)
                    : Math.max(stateEnd, Math.max(maxScratch(projections), maxScratch(biasedProjections)));
            this.projectionAt = (beforeProjection + 63) / 64 * 64;
            this.packedWAt = projectionAt + 4L * rows * 4 * s.hidden;
            this.packedRAt = packedWAt + (projections == null ? packedBytes(gemm, s, s.inputSize) : 0);
            this.biasSumAt = (packedRAt + (packedR == null && gemv != null ? packedRBytes(gemm, fused, s) : 0) + 63) / 64 * 64;
            this.scratchBytes = biasSumAt + (biasedProjections == null || biasSums != null ? 0 : 4L * 4 * s.hidden);
        }

        private static long maxScratch(KernelProvider.GemmKernel[] kernels) {
            long max = 0;
            for (KernelProvider.GemmKernel k : kernels) max = Math.max(max, k.scratchBytes());
            return max;
        }

        private static long maxScratch(RowBiasGemm.Kernel[] kernels) {
            long max = 0;
            if (kernels != null) for (RowBiasGemm.Kernel k : kernels) max = Math.max(max, k.scratchBytes());
            return max;
        }

        @Override public List<ValueType> outputTypes() { return types; }

        /**
         * h[H], c[H], tanh(c)[H] (over them the projection kernel's scratch, when W is constant), packed X,
         * X·Wᵀ + bias of one direction [rows x 4H], W and R packed when not constant.
         */
        @Override public long scratchBytes() { return scratchBytes; }

        @Override
        public void run(RunContext ctx) {
            Tensor y = s.wantOutput[0] ? ctx.output(0) : null;
            Tensor yh = s.wantOutput[1] ? ctx.output(1) : null;
            Tensor yc = s.wantOutput[2] ? ctx.output(2) : null;
            // Y past a sequence's end is zero; without sequence_lens every step writes its row
            if (y != null && s.hasSequenceLens) y.data().fill((byte) 0);
            MemorySegment scratch = ctx.scratch();
            if (projections == null) {   // W arrives at run time: packed here, with X
                F32Gemm.packA(ctx.input(0).data(), 0, s.inputSize, 1, rows, s.inputSize, scratch, packedXAt);
                packTransposed(gemm, s, s.inputSize, ctx.input(1).data(), scratch, packedWAt);
            }
            MemorySegment r = packedR;
            long rAt = 0;
            if (r == null && gemv != null) {
                r = packR(gemm, fused, s, ctx.input(2).data(), scratch, packedRAt);
                rAt = packedRAt;
            }
            for (int d = 0; d < s.numDirections; d++) {
                projectInput(ctx, d, scratch, packedWAt + 4L * d * gemm.packedBSize(s.inputSize, 4 * s.hidden));
                long rDir = rAt + d * packedRDirection;
                for (int b = 0; b < s.batch; b++) {
                    runSequence(ctx, d, b, y, yh, yc, r, rDir);
                }
            }
        }

        /** Every row of the projection becomes Wb + Rb + X·Wᵀ of direction {@code d}, rows in X's order. */
        private void projectInput(RunContext ctx, int d, MemorySegment scratch, long wAt) {
            int n = 4 * s.hidden;
            long rowBytes = 4L * n;
            boolean accumulate = s.hasBias;
            if (biasedProjections != null) {
                MemorySegment sums = biasSums;
                long sumAt = 4L * d * n;
                if (sums == null) {
                    sums = scratch;
                    sumAt = biasSumAt;
                    sumBiases(ctx.input(3).data(), d, n, scratch, sumAt);
                }
                biasedProjections[d].run(ctx.input(0).data(), 0, ctx.input(1).data(), 0, sums, sumAt, scratch,
                        projectionAt, scratch, Parallel.of(ctx, threads));
                return;
            }
            if (s.hasBias) {
                sumBiases(ctx.input(3).data(), d, n, scratch, projectionAt);
                for (int row = 1; row < rows; row++) {
                    MemorySegment.copy(scratch, projectionAt, scratch, projectionAt + row * rowBytes, rowBytes);
                }
            }
            if (projections != null) {
                projections[d].run(ctx.input(0).data(), 0, ctx.input(1).data(), 0, scratch, projectionAt, scratch,
                        Parallel.of(ctx, threads));
            } else {
                gemm.multiply(rows, n, s.inputSize, scratch, packedXAt, scratch, wAt, scratch, projectionAt, n,
                        1f, accumulate, null, Parallel.SERIAL);
            }
        }

        /**
         * Wb + Rb of direction {@code d} ({@code n} floats each) into {@code n} floats at byte {@code at}
         * of {@code dst}. A method of its own, shared by both projection forms and the constant sums:
         * each inlined copy of the segment accessors added to the JIT's arena memory for
         * {@link #projectInput}, which a short process keeps as resident memory.
         */
        static void sumBiases(MemorySegment bias, int d, int n, MemorySegment dst, long at) {
            long wb = 4L * d * 2 * n, rb = wb + 4L * n;
            for (int j = 0; j < n; j++) {
                dst.set(F, at + 4L * j, bias.get(F, wb + 4L * j) + bias.get(F, rb + 4L * j));
            }
        }

        private void runSequence(RunContext ctx, int d, int b, Tensor y, Tensor yh, Tensor yc, MemorySegment packedR,
                                 long rDir) {
            int hs = s.hidden;
            MemorySegment scratch = ctx.scratch();
            long hOff = 0;
            long cOff = 4L * hs;
            long stateAt = 4L * s.stateOffset(d, b);
            copyOrZero(s.hasInitialH ? ctx.input(5) : null, stateAt, scratch, hOff, hs);
            copyOrZero(hasInitialC ? ctx.input(6) : null, stateAt, scratch, cOff, hs);
            int steps = s.hasSequenceLens ? Math.min(ctx.input(4).getInt(b), s.seqLength) : s.seqLength;
            if (fused != null) {
                runFusedSteps(d, b, steps, y, scratch, packedR, rDir);
            } else {
                runSteps(ctx, d, b, steps, y, scratch, packedR, rDir);
            }
            if (yh != null) MemorySegment.copy(scratch, hOff, yh.data(), stateAt, 4L * hs);
            if (yc != null) MemorySegment.copy(scratch, 4L * hs, yc.data(), stateAt, 4L * hs);
        }

        /** The steps as {@link LstmCell#step}s: product, gates and cell in one call. */
        private void runFusedSteps(int d, int b, int steps, Tensor y, MemorySegment scratch, MemorySegment packedR,
                                   long rDir) {
            int hs = s.hidden;
            for (int step = 0; step < steps; step++) {
                int t = s.reversed(d) ? steps - 1 - step : step;
                long gOff = projectionAt + 4L * (s.xOffset(t, b) / s.inputSize) * 4 * hs;
                fused.step(hs, packedR, rDir, scratch, gOff, scratch, 4L * hs, 0, step % 2 == 1);
                if (y != null) MemorySegment.copy(scratch, 0, y.data(), 4L * s.yOffset(t, d, b), 4L * hs);
            }
        }

        /** The steps as a one-row product onto the projection, then the cell (fused, vector or scalar). */
        private void runSteps(RunContext ctx, int d, int b, int steps, Tensor y, MemorySegment scratch,
                              MemorySegment packedR, long rDir) {
            int hs = s.hidden;
            long hOff = 0;
            MemorySegment r = ctx.input(2).data();
            MemorySegment p = hasPeepholes ? ctx.input(7).data() : null;
            for (int step = 0; step < steps; step++) {
                int t = s.reversed(d) ? steps - 1 - step : step;
                long gOff = projectionAt + 4L * (s.xOffset(t, b) / s.inputSize) * 4 * hs;
                if (gemv != null && step % 2 == 1) {
                    gemv.multiplyBackwards(4 * hs, hs, scratch, hOff, 1, packedR, rDir, scratch, gOff, 1f, true);
                } else if (gemv != null) {
                    gemv.multiply(4 * hs, hs, scratch, hOff, 1, packedR, rDir, scratch, gOff, 1f, true, null,
                            Parallel.SERIAL);
                } else {
                    long rd = 4L * d * 4 * hs * hs;
                    for (int row = 0; row < 4 * hs; row++) {
                        long at = gOff + 4L * row;
                        scratch.set(F, at, scratch.get(F, at) + dot.dot(scratch, hOff, r, rd + 4L * row * hs, hs));
                    }
                }
                if (cell != null) cell.update(scratch, gOff, scratch, 4L * hs, 0, hs);
                else if (vectorGates) vectorCell(scratch, gOff, d);
                else scalarCell(scratch, gOff, d, p);
                if (y != null) MemorySegment.copy(scratch, hOff, y.data(), 4L * s.yOffset(t, d, b), 4L * hs);
            }
        }

        /** Activations over whole gate vectors (i, o, f share one), then c and h element-wise. */
        private void vectorCell(MemorySegment g, long gOff, int d) {
            int hs = s.hidden;
            Activation f = s.activation(d, 0);
            Activation cAct = s.activation(d, 1);
            Activation hAct = s.activation(d, 2);
            var species = gemm.species();
            long gi = gOff / 4, go = gi + hs, gf = go + hs, gc = gf + hs; // float indices of the four gates
            F32Unary.apply(f.unaryOp(), f.alpha(), f.beta(), species, g, gi, g, gi, 3 * hs);
            F32Unary.apply(cAct.unaryOp(), cAct.alpha(), cAct.beta(), species, g, gc, g, gc, hs);
            long c = hs; // float index of c in scratch; h is at 0
            for (int j = 0; j < hs; j++) {
                float cj = g.getAtIndex(F, gf + j) * g.getAtIndex(F, c + j) + g.getAtIndex(F, gi + j) * g.getAtIndex(F, gc + j);
                g.setAtIndex(F, c + j, cj);
            }
            long tanhC = tanhAt / 4;
            F32Unary.apply(hAct.unaryOp(), hAct.alpha(), hAct.beta(), species, g, c, g, tanhC, hs);
            for (int j = 0; j < hs; j++) g.setAtIndex(F, j, g.getAtIndex(F, go + j) * g.getAtIndex(F, tanhC + j));
        }

        /** The general cell, one element at a time: clip, peepholes, input_forget, any activation. */
        private void scalarCell(MemorySegment scratch, long gOff, int d, MemorySegment p) {
            int hs = s.hidden;
            long cOff = 4L * hs;
            Activation f = s.activation(d, 0);
            Activation g = s.activation(d, 1);
            Activation h = s.activation(d, 2);
            for (int j = 0; j < hs; j++) {
                float cPrev = scratch.get(F, cOff + 4L * j);
                float ai = scratch.get(F, gOff + 4L * j);
                float ao = scratch.get(F, gOff + 4L * (hs + j));
                float af = scratch.get(F, gOff + 4L * (2 * hs + j));
                float ac = scratch.get(F, gOff + 4L * (3 * hs + j));
                if (p != null) {
                    long pAt = 4L * ((long) d * 3 * hs + j);
                    ai += p.get(F, pAt) * cPrev;
                    af += p.get(F, pAt + 8L * hs) * cPrev;
                }
                float gi = f.apply(s.clip(ai));
                float gf = inputForget ? 1f - gi : f.apply(s.clip(af));
                float gc = g.apply(s.clip(ac));
                float c = gf * cPrev + gi * gc;
                if (p != null) ao += p.get(F, 4L * ((long) d * 3 * hs + hs + j)) * c;
                float go = f.apply(s.clip(ao));
                scratch.set(F, cOff + 4L * j, c);
                scratch.set(F, 4L * j, go * h.apply(c)); // h is no longer read this step: the product used it
            }
        }
    }

    static void copyOrZero(Tensor source, long sourceByteOffset, MemorySegment target, long targetOffset, int floats) {
        if (source == null) {
            for (int k = 0; k < floats; k++) target.set(F, targetOffset + 4L * k, 0f);
        } else {
            MemorySegment.copy(source.data(), sourceByteOffset, target, targetOffset, 4L * floats);
        }
    }
}
