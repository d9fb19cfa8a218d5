package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.nativelib.DnnlPoolKernel;
import dev.edgerun.runtime.ops.InternalLayoutKernel;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool on float tensors run by oneDNN's
 * pooling primitive ({@link DnnlPoolKernel}) wherever oneDNN is among the kernel providers in use
 * and takes the window; the Java kernel otherwise. Why: oneDNN's kernels are native and fast from
 * the first run, where the Java ones run in the interpreter until C2 compiled them, and the cold
 * Java pooling dominated the first run of the CNNs (ResNet-18's MaxPool 140 ms, GlobalAveragePool
 * 22-52 ms in MobileNetV2, DS-CNN and ResNet-18).
 *
 * <p>The rule is oneDNN wherever it takes the window, also on plain NCHW tensors where it is
 * not always faster in steady state. Single thread, warm Java kernels, median of interleaved
 * rounds (PoolingSpeedProbe, load 14): on the 16-channel blocks the models' pools read (between
 * oneDNN convolutions) oneDNN was as fast or faster everywhere (ResNet-18 MaxPool 1087 → 587 µs,
 * GlobalAveragePool 24 → 1.8 µs, MobileNetV2's 10.3 → 3.6 µs, DS-CNN's 0.72 → 0.74 µs,
 * conv_autoencoder's MaxPools 19.2 → 3.5 and 13.7 → 2.1 µs); on plain NCHW it lost only on small
 * global pools (DS-CNN's 64x25x5: 0.72 → 1.9 µs, MobileNetV2's 1280x7x7: 10.3 → 13.4 µs), a few
 * µs per run against the 20-170 ms a cold Java pool adds to the first run. First run with and without
 * it, 1 thread, fresh JVMs alternated 10 times, medians of the main thread's CPU (load 7-9):
 * ResNet-18 177 → 121 ms, MobileNetV2 78 → 51 ms, DS-CNN 19.6 → 12.7 ms, conv_autoencoder 80 →
 * 66 ms; compiling took the same (0.98-1.01x) but for conv_autoencoder (58 → 66 ms). Part of the
 * saving moves to the next cold Java kernel (DS-CNN's fc GEMV, ResNet-18's first Add).
 */
final class OneDnnPooling {
    private OneDnnPooling() { }

    /**
     * {@code java}, or the oneDNN pool of {@code sp} over {@code x} with the Java kernel for heap
     * tensors. Average pooling that counts pads keeps the Java kernel where ceil_mode adds a window
     * past the end pads: ONNX divides such a window by its taps inside the padded input, oneDNN by
     * the whole kernel.
     */
    static Kernel windowed(Kernel java, DnnlPoolKernel.Algorithm algorithm, Spatial sp, long[] x, long[] y, int threads) {
        int axes = sp.rank();
        long[] kernel = new long[axes], strides = new long[axes], dilations = new long[axes];
        long[] begin = new long[axes], end = new long[axes];
        for (int a = 0; a < axes; a++) {
            kernel[a] = sp.kernel()[a];
            strides[a] = sp.strides()[a];
            dilations[a] = sp.dilations()[a];
            begin[a] = sp.padsBegin()[a];
            long span = (long) (sp.kernel()[a] - 1) * sp.dilations()[a] + 1;
            long lastWindowEnd = (long) (sp.out()[a] - 1) * sp.strides()[a] + span - sp.in()[a] - sp.padsBegin()[a];
            end[a] = Math.max(sp.padsEnd()[a], lastWindowEnd);
            if (end[a] > sp.padsEnd()[a] && algorithm == DnnlPoolKernel.Algorithm.AVERAGE_INCLUDING_PADS) return java;
        }
        return orJava(java, new DnnlPoolKernel.Window(algorithm, x, y, kernel, strides, dilations, begin, end), threads);
    }

    /** {@code java}, or the oneDNN pool over the whole of each plane of {@code x} (1-3 spatial axes). */
    static Kernel global(Kernel java, boolean max, long[] x, long[] y, int threads) {
        int axes = x.length - 2;
        if (axes < 1 || axes > 3) return java;
        long[] kernel = new long[axes], ones = new long[axes], zeros = new long[axes];
        for (int a = 0; a < axes; a++) {
            kernel[a] = x[a + 2];
            ones[a] = 1;
        }
        var algorithm = max ? DnnlPoolKernel.Algorithm.MAX : DnnlPoolKernel.Algorithm.AVERAGE_EXCLUDING_PADS;
        return orJava(java, new DnnlPoolKernel.Window(algorithm, x, y, kernel, ones, ones, zeros, zeros), threads);
    }

    private static Kernel orJava(Kernel java, DnnlPoolKernel.Window window, int threads) {
        return DnnlPoolKernel.plain(window).<Kernel>map(k -> new Pool(java, k, threads)).orElse(java);
    }

    /**
     * A pool run by {@code pool}; its input and output may be switched by the planner to oneDNN's
     * 16-channel blocks ({@link InternalLayoutKernel}) between oneDNN convolutions, each on its own.
     * On plain heap tensors (a caller's input, say) it runs {@code java}.
     */
    private record Pool(Kernel java, DnnlPoolKernel pool, int threads) implements InternalLayoutKernel {
        @Override
        public List<ValueType> outputTypes() {
            return java.outputTypes();
        }

        @Override
        public long scratchBytes() {
            return pool.blocked() ? pool.scratchBytes() : Math.max(java.scratchBytes(), pool.scratchBytes());
        }

        @Override
        public KernelProvider.ConvKernel.Layout internalInputLayout() {
            return pool.blockedInputLayout();
        }

        @Override
        public KernelProvider.ConvKernel.Layout internalOutputLayout() {
            return pool.blockedOutputLayout();
        }

        @Override
        public Kernel withInternalLayouts(boolean input, boolean output) {
            return pool.withBlocks(input, output).<Kernel>map(k -> new Pool(java, k, threads)).orElse(null);
        }

        @Override
        public void run(RunContext ctx) {
            MemorySegment x = ctx.input(0).data(), y = ctx.output(0).data();
            if (pool.blocked() || (x.isNative() && y.isNative())) pool.run(x, y, ctx.scratch(), threads);
            else java.run(ctx);
        }
    }
}
