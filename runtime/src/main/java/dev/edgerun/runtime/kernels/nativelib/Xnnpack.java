package dev.edgerun.runtime.kernels.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hand-written FFM bindings for the subset of XNNPACK's operator API ({@code xnnpack.h}, the
 * early-2022 snapshot Debian 12 ships as libXNNPACK.so.0) that the native engine uses: float32
 * 2-D convolution (NHWC) and fully connected operators, create / setup / run / delete, and
 * pthreadpool for threads. XNNPACK has no version function; the API generation is recognised by
 * its symbols: later releases split setup into reshape + setup and added weights caches to the
 * create functions, which these bindings would call with the wrong arguments, so a library that
 * exports {@code xnn_reshape_convolution2d_nhwc_f32} or {@code xnn_create_weights_cache} is refused.
 */
final class Xnnpack {
    static final int FLAG_TRANSPOSE_WEIGHTS = 0x1;

    private static final ValueLayout.OfLong J = ValueLayout.JAVA_LONG; // size_t, or a handle / raw address
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;   // uint32_t, enum xnn_status
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final java.lang.foreign.AddressLayout P = ValueLayout.ADDRESS;

    private static final class Holder {
        static final Xnnpack INSTANCE = new Xnnpack();
    }

    private final String failure;
    // bound on first use: call as (int) f.handle().invokeExact(...)
    private Downcall initialize, createConv, setupConv, createFc, setupFc, runOperator, deleteOperator, poolCreate;
    private Downcall createConvQc8, setupConvQc8; // 8-bit convolution, per-channel weights
    private final ConcurrentHashMap<Integer, Long> pools = new ConcurrentHashMap<>();

    static Xnnpack get() {
        return Holder.INSTANCE;
    }

    private Xnnpack() {
        String fail = null;
        try {
            StringBuilder why = new StringBuilder();
            Optional<NativeLibrary> lib = NativeLibrary.open(
                    Dnnl.candidates("edgerun.xnnpack.library", "libXNNPACK.so.0", "libXNNPACK.so"), why);
            Optional<NativeLibrary> threads = NativeLibrary.open(
                    Dnnl.candidates("edgerun.pthreadpool.library", "libpthreadpool.so.0", "libpthreadpool.so"), why);
            if (lib.isEmpty() || threads.isEmpty()) {
                fail = "XNNPACK not found (" + why + ")";
            } else if (lib.get().exports("xnn_reshape_convolution2d_nhwc_f32") || lib.get().exports("xnn_create_weights_cache")) {
                fail = lib.get().name() + " has the post-2022 operator API (reshape/weights caches); these bindings need the 2022 one";
            } else {
                bind(lib.get(), threads.get());
                List<String> missing = new java.util.ArrayList<>(lib.get().missing());
                missing.removeAll(List.of("xnn_create_convolution2d_nhwc_qc8", "xnn_setup_convolution2d_nhwc_qc8")); // optional
                missing.addAll(threads.get().missing());
                if (!missing.isEmpty()) {
                    fail = lib.get().name() + " lacks " + missing;
                } else {
                    int status = (int) initialize.handle().invokeExact(MemorySegment.NULL);
                    if (status != 0) fail = "xnn_initialize failed: " + statusName(status);
                }
            }
        } catch (Throwable t) {
            fail = "XNNPACK failed to start: " + t;
        }
        failure = fail;
    }

    private void bind(NativeLibrary lib, NativeLibrary threads) {
        initialize = lib.downcall("xnn_initialize", FunctionDescriptor.of(I, P));
        createConv = lib.downcall("xnn_create_convolution2d_nhwc_f32", FunctionDescriptor.of(I,
                I, I, I, I, I, I, I, I, I, I, I, J, J, J, J, P, P, F, F, I, P));
        setupConv = lib.downcall("xnn_setup_convolution2d_nhwc_f32", FunctionDescriptor.of(I, J, J, J, J, J, J, J));
        createFc = lib.downcall("xnn_create_fully_connected_nc_f32", FunctionDescriptor.of(I, J, J, J, J, P, P, F, F, I, P));
        setupFc = lib.downcall("xnn_setup_fully_connected_nc_f32", FunctionDescriptor.of(I, J, J, J, J, J));
        runOperator = lib.downcall("xnn_run_operator", FunctionDescriptor.of(I, J, J));
        createConvQc8 = lib.downcall("xnn_create_convolution2d_nhwc_qc8", FunctionDescriptor.of(I,
                I, I, I, I, I, I, I, I, I, I, I, J, J, J, J, ValueLayout.JAVA_BYTE, F, P, P, P,
                ValueLayout.JAVA_BYTE, F, ValueLayout.JAVA_BYTE, ValueLayout.JAVA_BYTE, I, P));
        setupConvQc8 = lib.downcall("xnn_setup_convolution2d_nhwc_qc8", FunctionDescriptor.of(I, J, J, J, J, J, J, J));
        deleteOperator = lib.downcall("xnn_delete_operator", FunctionDescriptor.of(I, J));
        poolCreate = threads.downcall("pthreadpool_create", FunctionDescriptor.of(J, J));
    }

    /** Whether the library has the 8-bit per-channel convolution (absent from builds without QC8 operators). */
    boolean hasQc8() {
        return createConvQc8.present() && setupConvQc8.present();
    }

    /** Why XNNPACK cannot be used here, or null when it can. */
    String failure() {
        return failure;
    }

    /** The process-wide pthreadpool of {@code threads} threads (0, meaning the caller's thread, for 1). */
    long pool(int threads) {
        if (threads <= 1) return 0;
        return pools.computeIfAbsent(threads, t -> {
            try {
                long pool = (long) poolCreate.handle().invokeExact((long) t);
                if (pool == 0) throw new NativeKernelException("pthreadpool_create(" + t + ") failed");
                return pool;
            } catch (Throwable e) {
                throw rethrow(e, "pthreadpool_create");
            }
        });
    }

    /** A convolution operator over NHWC data; weights {@code [groups, Mg, kh, kw, Cg]}, no bias, unbounded output. */
    long createConvolution(int[] padTRBL, int kh, int kw, int sh, int sw, int dh, int dw, int groups, long cg, long mg,
                           MemorySegment weights) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(J);
            check((int) createConv.handle().invokeExact(padTRBL[0], padTRBL[1], padTRBL[2], padTRBL[3], kh, kw, sh, sw, dh, dw,
                    groups, cg, mg, cg * groups, mg * groups, weights, MemorySegment.NULL,
                    Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 0, out), "xnn_create_convolution2d_nhwc_f32");
            return out.get(J, 0);
        } catch (Throwable t) {
            throw rethrow(t, "xnn_create_convolution2d_nhwc_f32");
        }
    }

    void setupConvolution(long op, long batch, long h, long w, long input, long output, long pool) {
        try {
            check((int) setupConv.handle().invokeExact(op, batch, h, w, input, output, pool), "xnn_setup_convolution2d_nhwc_f32");
        } catch (Throwable t) {
            throw rethrow(t, "xnn_setup_convolution2d_nhwc_f32");
        }
    }

    /**
     * A signed 8-bit convolution operator over NHWC data ({@code qc8}: per-output-channel weight
     * scales): weights {@code [groups, Mg, kh, kw, Cg]} s8, {@code bias} int32 per output channel
     * or NULL; the requantization scale of channel m is {@code kernelScales[m]} (input and output
     * scales are passed as 1); outputs clamped to {@code [outMin, outMax]}.
     */
    long createConvolutionQc8(int[] padTRBL, int kh, int kw, int sh, int sw, int dh, int dw, int groups, long cg,
                              long mg, byte inputZeroPoint, MemorySegment kernelScales, MemorySegment weights,
                              MemorySegment bias, byte outputZeroPoint, byte outMin, byte outMax) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(J);
            check((int) createConvQc8.handle().invokeExact(padTRBL[0], padTRBL[1], padTRBL[2], padTRBL[3], kh, kw, sh, sw, dh, dw,
                    groups, cg, mg, cg * groups, mg * groups, inputZeroPoint, 1f, kernelScales, weights, bias,
                    outputZeroPoint, 1f, outMin, outMax, 0, out), "xnn_create_convolution2d_nhwc_qc8");
            return out.get(J, 0);
        } catch (Throwable t) {
            throw rethrow(t, "xnn_create_convolution2d_nhwc_qc8");
        }
    }

    void setupConvolutionQc8(long op, long batch, long h, long w, long input, long output, long pool) {
        try {
            check((int) setupConvQc8.handle().invokeExact(op, batch, h, w, input, output, pool), "xnn_setup_convolution2d_nhwc_qc8");
        } catch (Throwable t) {
            throw rethrow(t, "xnn_setup_convolution2d_nhwc_qc8");
        }
    }

    /** A fully connected operator: weights {@code [out, in]}, or {@code [in, out]} with {@link #FLAG_TRANSPOSE_WEIGHTS}. */
    long createFullyConnected(long in, long out, MemorySegment weights, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment op = a.allocate(J);
            check((int) createFc.handle().invokeExact(in, out, in, out, weights, MemorySegment.NULL,
                    Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, flags, op), "xnn_create_fully_connected_nc_f32");
            return op.get(J, 0);
        } catch (Throwable t) {
            throw rethrow(t, "xnn_create_fully_connected_nc_f32");
        }
    }

    void setupFullyConnected(long op, long batch, long input, long output, long pool) {
        try {
            check((int) setupFc.handle().invokeExact(op, batch, input, output, pool), "xnn_setup_fully_connected_nc_f32");
        } catch (Throwable t) {
            throw rethrow(t, "xnn_setup_fully_connected_nc_f32");
        }
    }

    void run(long op, long pool) {
        try {
            check((int) runOperator.handle().invokeExact(op, pool), "xnn_run_operator");
        } catch (Throwable t) {
            throw rethrow(t, "xnn_run_operator");
        }
    }

    void delete(long op) {
        if (op == 0) return;
        try {
            int ignored = (int) deleteOperator.handle().invokeExact(op);
        } catch (Throwable t) {
            throw rethrow(t, "xnn_delete_operator");
        }
    }

    private static void check(int status, String function) {
        if (status != 0) throw new NativeKernelException("XNNPACK " + function + " failed: " + statusName(status));
    }

    private static String statusName(int status) {
        return switch (status) {
            case 1 -> "uninitialized";
            case 2 -> "invalid_parameter";
            case 3 -> "invalid_state";
            case 4 -> "unsupported_parameter";
            case 5 -> "unsupported_hardware";
            case 6 -> "out_of_memory";
            default -> "status " + status;
        };
    }

    private static RuntimeException rethrow(Throwable t, String function) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new NativeKernelException("XNNPACK " + function + " failed", t);
    }
}
