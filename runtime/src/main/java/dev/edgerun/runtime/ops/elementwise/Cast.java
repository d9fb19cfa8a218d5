package dev.edgerun.runtime.ops.elementwise;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.Casts;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Cast (target type from the attribute {@code to}) and CastLike (target type of input 1) between
 * bool, the integer types (INT4/UINT4/INT2/UINT2 packed, wrapping), float, double, float16,
 * bfloat16 and the float8/float4 formats (attributes {@code saturate} and {@code round_mode}).
 * Integers convert exactly through long, floats through double; integer targets truncate
 * toward zero and wrap. STRING is not supported.
 */
public final class Cast implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        boolean like = ctx.node().opType().equals("CastLike");
        DType from = ctx.inputDType(0);
        DType to;
        if (like) {
            to = ctx.inputDType(1);
        } else {
            if (!ctx.hasAttr("to")) throw ctx.error("attribute 'to' is required");
            to = DType.fromOnnx((int) ctx.attrInt("to", 0));
        }
        if (!convertible(from)) throw ctx.unsupported("cast from " + from.onnxName());
        if (!convertible(to)) throw ctx.unsupported("cast to " + to.onnxName());
        boolean saturate = ctx.attrInt("saturate", 1) != 0;
        String roundMode = ctx.attrString("round_mode", "up");
        if (!roundMode.equals("up") && !roundMode.equals("down") && !roundMode.equals("nearest")) {
            throw ctx.error("attribute round_mode must be up, down or nearest, got '" + roundMode + "'");
        }
        Shape shape = ctx.inputShape(0);
        return Kernel.of(ValueType.tensor(to, shape), new Converter(from, to, saturate, roundMode)::run);
    }

    private static boolean convertible(DType t) {
        return switch (t) {
            case STRING, COMPLEX64, COMPLEX128, UNDEFINED -> false;
            default -> true;
        };
    }

    /** Reads elements as long (integer and bool sources) or double (float sources) and writes them as the target. */
    private record Converter(DType from, DType to, boolean saturate, String roundMode) {

        void run(RunContext ctx) {
            MemorySegment in = ctx.input(0).data();
            MemorySegment out = ctx.output(0).data();
            long n = ctx.output(0).elementCount();
            if (from == to) {
                out.copyFrom(in);
                return;
            }
            if (halfFloat(in, out, n)) return;
            if (integral(from)) {
                boolean u64 = from == DType.UINT64;
                for (long i = 0; i < n; i++) writeLong(out, i, readIntegral(in, from, i), u64);
            } else {
                for (long i = 0; i < n; i++) writeDouble(out, i, readFloating(in, from, i));
            }
        }

        /**
         * float32 ⇄ float16 without the per-element type dispatch (the same values as the general
         * path); the float16 models the native engine computes in float32 round their inputs this way.
         */
        private boolean halfFloat(MemorySegment in, MemorySegment out, long n) {
            if (from == DType.FLOAT && to == DType.FLOAT16) {
                for (long i = 0; i < n; i++) out.setAtIndex(HALF, i, Float.floatToFloat16(in.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i)));
                return true;
            }
            if (from == DType.FLOAT16 && to == DType.FLOAT) {
                for (long i = 0; i < n; i++) out.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, Float.float16ToFloat(in.getAtIndex(HALF, i)));
                return true;
            }
            return false;
        }

        private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;

        private static boolean integral(DType t) {
            return t == DType.BOOL || t.isInteger();
        }

        private static long readIntegral(MemorySegment s, DType t, long i) {
            return switch (t) {
                case INT4 -> (long) (nibble(s, i) << 28) >> 28;
                case UINT4 -> nibble(s, i);
                case INT2 -> (long) (crumb(s, i) << 30) >> 30;
                case UINT2 -> crumb(s, i);
                default -> Elements.readLong(s, t, i);
            };
        }

        private static double readFloating(MemorySegment s, DType t, long i) {
            return t == DType.FLOAT4E2M1 ? Casts.MiniFloat.E2M1.decode(nibble(s, i)) : Elements.readDouble(s, t, i);
        }

        private void writeLong(MemorySegment o, long i, long v, boolean u64) {
            if (integral(to)) {
                writeIntegral(o, i, v);
            } else if (to == DType.FLOAT) {
                o.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, u64 ? Elements.unsignedToFloat(v) : (float) v);
            } else {
                writeDouble(o, i, u64 ? Elements.unsignedToDouble(v) : (double) v);
            }
        }

        private void writeDouble(MemorySegment o, long i, double v) {
            switch (to) {
                case FLOAT8E4M3FN -> o.set(ValueLayout.JAVA_BYTE, i, (byte) Casts.MiniFloat.E4M3FN.encode((float) v, saturate));
                case FLOAT8E4M3FNUZ -> o.set(ValueLayout.JAVA_BYTE, i, (byte) Casts.MiniFloat.E4M3FNUZ.encode((float) v, saturate));
                case FLOAT8E5M2 -> o.set(ValueLayout.JAVA_BYTE, i, (byte) Casts.MiniFloat.E5M2.encode((float) v, saturate));
                case FLOAT8E5M2FNUZ -> o.set(ValueLayout.JAVA_BYTE, i, (byte) Casts.MiniFloat.E5M2FNUZ.encode((float) v, saturate));
                case FLOAT8E8M0 -> o.set(ValueLayout.JAVA_BYTE, i, (byte) Casts.toE8M0((float) v, roundMode, saturate));
                case FLOAT4E2M1 -> writePacked4(o, i, Casts.MiniFloat.E2M1.encode((float) v, true));
                case INT4, UINT4, INT2, UINT2 -> writeIntegral(o, i, (long) v);
                default -> Elements.writeDouble(o, to, i, v);
            }
        }

        private void writeIntegral(MemorySegment o, long i, long v) {
            switch (to) {
                case INT4, UINT4 -> writePacked4(o, i, (int) v & 0xF);
                case INT2, UINT2 -> writePacked2(o, i, (int) v & 0x3);
                default -> Elements.writeLong(o, to, i, v);
            }
        }

        /** Element i of a 4-bit packed tensor, low nibble first. */
        private static int nibble(MemorySegment s, long i) {
            int b = s.get(ValueLayout.JAVA_BYTE, i >> 1);
            return (i & 1) == 0 ? b & 0xF : (b >> 4) & 0xF;
        }

        /** Element i of a 2-bit packed tensor, lowest bits first. */
        private static int crumb(MemorySegment s, long i) {
            int b = s.get(ValueLayout.JAVA_BYTE, i >> 2);
            return (b >> (2 * (int) (i & 3))) & 0x3;
        }

        // Elements are written in order, so the first element of a byte resets it (no stale padding bits).
        private static void writePacked4(MemorySegment o, long i, int v) {
            long at = i >> 1;
            int b = (i & 1) == 0 ? v : (o.get(ValueLayout.JAVA_BYTE, at) & 0x0F) | v << 4;
            o.set(ValueLayout.JAVA_BYTE, at, (byte) b);
        }

        private static void writePacked2(MemorySegment o, long i, int v) {
            long at = i >> 2;
            int shift = 2 * (int) (i & 3);
            int b = shift == 0 ? v : (o.get(ValueLayout.JAVA_BYTE, at) & ((1 << shift) - 1)) | v << shift;
            o.set(ValueLayout.JAVA_BYTE, at, (byte) b);
        }
    }
}
