package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Optional;

/**
 * A source of heavy kernels (GEMM, convolution) for the native engine's operators, asked at
 * compile time through {@link KernelSelection}. A provider answers with a kernel or
 * {@link Optional#empty()} when it does not support a spec; it never throws for "not supported".
 * The Java kernels ({@link JavaKernels}, Vector API or scalar) support every float32 spec; native
 * libraries (oneDNN, XNNPACK through FFM) plug in as further providers found by
 * {@link java.util.ServiceLoader} without touching operator classes.
 *
 * <p>Specs carry the constant weights when they are known at compile time, so a provider can pack
 * or convert them once; a kernel then ignores the matching run-time argument.
 */
public interface KernelProvider {

    /** Short name used in logs and in {@code -Dedgerun.kernels=NAME}. */
    String name();

    /** Whether this provider can run here, and why not. Never throws. */
    Availability availability();

    /**
     * Whether this provider checks {@link #availability()} itself when asked for a kernel, after
     * deciding from the spec alone that it would take it. {@link KernelSelection} then leaves the
     * check (which may open a native library, create its handles and engine) to that moment, so a
     * process whose models never want this provider's kernels never pays for loading it. Such a
     * provider answers "not supported" while unavailable and logs why once. Default false: the
     * selection checks availability when it discovers the provider.
     */
    default boolean checksAvailabilityWhenAsked() {
        return false;
    }

    /**
     * Opens what {@link #availability()} would open (a native library, its engine), called on a
     * background thread while a session compiles, so that the planning thread later finds it open.
     * A provider may decline (when opening must not happen off the planning thread); default: nothing.
     */
    default void preload() {}

    /** Larger is asked first; the Java kernels use 10 (vector) and 0 (scalar). */
    default int priority() {
        return 50;
    }

    default Optional<GemmKernel> gemm(GemmSpec spec) {
        return Optional.empty();
    }

    default Optional<ConvKernel> conv(ConvSpec spec) {
        return Optional.empty();
    }

    /**
     * A transposed convolution (ConvTranspose): {@code spec} as for {@link #conv}, but its
     * {@code weightShape} is ConvTranspose's {@code [C, M/group, kernel...]} and {@code padsBegin}
     * the pads taken off the start of the output; the output shape implies the end pads and any
     * {@code output_padding}. Empty (the operator's own GEMM and col2im) by default.
     */
    default Optional<ConvKernel> convTranspose(ConvSpec spec) {
        return Optional.empty();
    }

    /** An 8-bit integer convolution with requantized 8-bit output (QLinearConv, fused QDQ Conv). */
    default Optional<Q8ConvKernel> q8conv(Q8ConvSpec spec) {
        return Optional.empty();
    }

    /** Whether a provider can be used on this machine; {@code reason} says why not. */
    record Availability(boolean available, String reason) {
        public static final Availability YES = new Availability(true, "available");

        public static Availability no(String reason) {
            return new Availability(false, reason);
        }
    }

    /**
     * {@code Y[m,n] = alpha * op(A)[m,k] . op(B)[k,n]}, plus the previous {@code Y} when
     * {@code accumulate}. A is stored row-major as {@code [m,k]}, or {@code [k,m]} when
     * {@code transA}; B as {@code [k,n]}, or {@code [n,k]} when {@code transB}; Y as {@code [m,n]}.
     * {@code constantA}/{@code constantB} are the operands' values when known at compile time
     * (else null). {@code epilogue} (nullable) is applied to finished Y values.
     */
    record GemmSpec(DType dtype, int m, int n, int k, boolean transA, boolean transB, float alpha,
                    boolean accumulate, Tensor constantA, Tensor constantB, F32GemmEpilogue epilogue) {

        /** A plain float32 product {@code Y = A . B} of row-major operands, nothing constant. */
        public static GemmSpec f32(int m, int n, int k) {
            return new GemmSpec(DType.FLOAT, m, n, k, false, false, 1f, false, null, null, null);
        }

        public long flops() {
            return 2L * m * n * k;
        }

        @Override
        public String toString() {
            return "gemm " + dtype.onnxName() + " m=" + m + " n=" + n + " k=" + k
                    + (transA ? " transA" : "") + (transB ? " transB" : "")
                    + (constantA != null ? " constA" : "") + (constantB != null ? " constB" : "");
        }
    }

    /** A planned GEMM. Offsets are in bytes. Thread-safe: several runs may use one kernel at once. */
    interface GemmKernel {
        /** Scratch bytes one {@link #run} needs. */
        long scratchBytes();

        void run(MemorySegment a, long aOffset, MemorySegment b, long bOffset, MemorySegment y, long yOffset,
                 MemorySegment scratch, Parallel par);
    }

    /**
     * An N-d convolution in NC(D)HW layout: {@code input} is {@code [N, C, spatial...]},
     * {@code weight} {@code [M, C/group, kernel...]}, {@code output} {@code [N, M, outSpatial...]};
     * {@code padsBegin}, {@code strides}, {@code dilations} have one entry per spatial axis (the end
     * pads are implied by the output shape). {@code epilogue} (nullable) is applied after the bias.
     */
    record ConvSpec(DType dtype, long[] inputShape, long[] weightShape, long[] outputShape, int group,
                    int[] strides, int[] padsBegin, int[] dilations, Tensor constantWeight, F32GemmEpilogue epilogue) {

        public int spatialRank() {
            return inputShape.length - 2;
        }

        public boolean isDepthwise() {
            return group > 1 && group == inputShape[1] && group == weightShape[0];
        }

        /**
         * A 2-D 1x1 convolution of one group, unit stride, no padding, with the input's plane size:
         * a plain matrix product over the positions (what the 8-bit pointwise kernels take).
         */
        public boolean isPlainPointwise2d() {
            return spatialRank() == 2 && group == 1 && weightShape[2] == 1 && weightShape[3] == 1
                    && strides[0] == 1 && strides[1] == 1 && padsBegin[0] == 0 && padsBegin[1] == 0
                    && outputShape[2] == inputShape[2] && outputShape[3] == inputShape[3];
        }

        public long flops() {
            long perOutput = 2;
            for (int i = 1; i < weightShape.length; i++) perOutput *= weightShape[i];
            long outputs = 1;
            for (long d : outputShape) outputs *= d;
            return perOutput * outputs;
        }

        @Override
        public String toString() {
            return "conv " + dtype.onnxName() + " x" + Arrays.toString(inputShape) + " w" + Arrays.toString(weightShape)
                    + " y" + Arrays.toString(outputShape) + " group=" + group + " strides=" + Arrays.toString(strides)
                    + " pads=" + Arrays.toString(padsBegin) + " dilations=" + Arrays.toString(dilations);
        }
    }

    /**
     * A planned convolution. {@code bias} is {@code [M]} or {@link MemorySegment#NULL}. Thread-safe.
     *
     * <p>A native kernel may offer to read X or write Y in its library's internal activation
     * layout (oneDNN's blocked layout) instead of NC(D)HW, sparing the conversions around each
     * call. The engine's planner asks once per plan: when a value's producer offers an output
     * layout equal to the input layout every consumer offers, it switches both ends with
     * {@link #withInternalLayouts} and sizes the value's buffer for {@link Layout#bytes}.
     */
    interface ConvKernel {
        long scratchBytes();

        void run(MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y, MemorySegment scratch, Parallel par);

        /** The internal layout this convolution could read X in, or null (NC(D)HW only). */
        default Layout internalInputLayout() {
            return null;
        }

        /** The internal layout this convolution could write Y in, or null (NC(D)HW only). */
        default Layout internalOutputLayout() {
            return null;
        }

        /**
         * This convolution reading X in {@link #internalInputLayout} when {@code input} and writing
         * Y in {@link #internalOutputLayout} when {@code output} (NC(D)HW otherwise); null when it
         * cannot after all. Both false: this kernel.
         */
        default ConvKernel withInternalLayouts(boolean input, boolean output) {
            return input || output ? null : this;
        }

        /**
         * An internal activation layout: the bytes a buffer in it takes (channels may be padded to
         * a block, so it can exceed the NC(D)HW size) and a token whose {@code equals} says
         * whether one kernel's output can be read as another's input as it is.
         */
        record Layout(Object token, long bytes) { }
    }

    /**
     * An 8-bit convolution in NC(D)HW layout with int32 accumulation and requantization, the
     * semantics of ONNX QLinearConv: {@code acc[n,m,o] = bias[m] + sum (x - xZeroPoint) * w}, then
     * {@code y = clamp(round_half_even(acc * multipliers[m]) + yZeroPoint, yMin, yMax)}.
     * Weights are constant and symmetric (zero point 0), signed 8-bit, {@code [M, C/group, kernel...]};
     * {@code multipliers[m] = x_scale * w_scale[m] / y_scale} computed in float32 as ONNX Runtime
     * does. {@code yMin..yMax} lies within the output type's range and narrows it when an activation
     * (Relu, Clip) was fused. The {@code geometry} spec's dtype is the input's (INT8 or UINT8), its
     * {@code constantWeight} the INT8 weights, its epilogue null.
     *
     * @param bias int32 per output channel, or null
     */
    record Q8ConvSpec(ConvSpec geometry, boolean xSigned, int xZeroPoint, int[] bias, float[] multipliers,
                      boolean ySigned, int yZeroPoint, int yMin, int yMax) {

        public long outputCount() {
            long c = 1;
            for (long d : geometry.outputShape()) c *= d;
            return c;
        }

        @Override
        public String toString() {
            return "q8" + geometry + (xSigned ? " s8" : " u8") + "->" + (ySigned ? "s8" : "u8")
                    + " zx=" + xZeroPoint + " zy=" + yZeroPoint + " clamp=[" + yMin + "," + yMax + "]";
        }
    }

    /** A planned 8-bit convolution: {@code x} and {@code y} are 8-bit NC(D)HW tensors. Thread-safe. */
    interface Q8ConvKernel {
        long scratchBytes();

        void run(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par);

        /** As {@link ConvKernel#internalInputLayout}: the internal layout X could be read in, or null. */
        default ConvKernel.Layout internalInputLayout() {
            return null;
        }

        /** As {@link ConvKernel#internalOutputLayout}: the internal layout Y could be written in, or null. */
        default ConvKernel.Layout internalOutputLayout() {
            return null;
        }

        /** As {@link ConvKernel#withInternalLayouts}; null when it cannot after all. */
        default Q8ConvKernel withInternalLayouts(boolean input, boolean output) {
            return input || output ? null : this;
        }
    }
}
