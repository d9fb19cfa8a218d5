package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 element-wise binary arithmetic with the Vector API over one row of a {@link BroadcastPlan}:
 * each operand either advances (stride 1) or repeats one element (stride 0), which covers
 * same-shape, scalar and row broadcasting. The scalar reference is {@link F32BinaryOp#reference},
 * which loads without {@code jdk.incubator.vector}.
 */
public final class F32Binary {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private F32Binary() {}

    /**
     * {@code out[o + i] = op(a[ai + i*as], b[bi + i*bs])} for i in [0, n); indices in elements,
     * strides 0 or 1. {@code species} null runs the scalar reference.
     */
    public static void apply(F32BinaryOp op, VectorSpecies<Float> species, MemorySegment a, long ai, int as,
                             MemorySegment b, long bi, int bs, MemorySegment out, long o, int n) {
        if (as == 0 && bs == 0) {
            F32BinaryOp.fill(out, o, n, op.apply(a.getAtIndex(F, ai), b.getAtIndex(F, bi)));
            return;
        }
        if (species == null) {
            op.reference(a, ai, as, b, bi, bs, out, o, n);
            return;
        }
        // One loop per operation and operand pattern, each small enough to be inlined whole: a
        // shared loop with the operation switched inside was measured many times slower once
        // several operations had run through it (the vectors were no longer kept in registers).
        int done;
        if (as == 1 && bs == 1) {
            done = switch (op) {
                case ADD -> addVV(species, a, ai, b, bi, out, o, n);
                case SUB -> subVV(species, a, ai, b, bi, out, o, n);
                case MUL -> mulVV(species, a, ai, b, bi, out, o, n);
                case DIV -> divVV(species, a, ai, b, bi, out, o, n);
                case MIN -> minVV(species, a, ai, b, bi, out, o, n);
                case MAX -> maxVV(species, a, ai, b, bi, out, o, n);
                case PRELU -> preluVV(species, a, ai, b, bi, out, o, n);
            };
        } else if (as == 1) {
            float y = b.getAtIndex(F, bi);
            done = switch (op) {
                case ADD -> addVS(species, a, ai, y, out, o, n);
                case SUB -> subVS(species, a, ai, y, out, o, n);
                case MUL -> mulVS(species, a, ai, y, out, o, n);
                case DIV -> divVS(species, a, ai, y, out, o, n);
                case MIN -> minVS(species, a, ai, y, out, o, n);
                case MAX -> maxVS(species, a, ai, y, out, o, n);
                case PRELU -> preluVS(species, a, ai, y, out, o, n);
            };
        } else {
            float x = a.getAtIndex(F, ai);
            done = switch (op) {
                case ADD -> addVS(species, b, bi, x, out, o, n);
                case SUB -> subSV(species, x, b, bi, out, o, n);
                case MUL -> mulVS(species, b, bi, x, out, o, n);
                case DIV -> divSV(species, x, b, bi, out, o, n);
                case MIN -> minVS(species, b, bi, x, out, o, n);
                case MAX -> maxVS(species, b, bi, x, out, o, n);
                case PRELU -> preluSV(species, x, b, bi, out, o, n);
            };
        }
        op.reference(a, ai + (long) done * as, as, b, bi + (long) done * bs, bs, out, o + done, n - done);
    }

    // Each loop turns the species into a JIT constant (JavaKernelsSpecies): with a species passed as
    // a plain value the Vector API calls compile to vector instructions only while the JVM has seen
    // one width, and otherwise box every vector.
    // The loops: VV both operands advance, VS the right one is a scalar, SV the left one is (for the
    // commutative operations VS serves with the operands swapped). Each returns how many elements it
    // did; apply finishes the tail with the reference. Scalars are broadcast from a loaded vector
    // (x.broadcast) rather than from the species: with a species that is not a compile-time constant
    // FloatVector.broadcast(species, s) is not intrinsified and allocates on every call.

    private static FloatVector load(VectorSpecies<Float> sp, MemorySegment s, long index) {
        return FloatVector.fromMemorySegment(sp, s, index * 4, LE);
    }

    private static int addVV(VectorSpecies<Float> species, MemorySegment a, long ai, MemorySegment b, long bi, MemorySegment out, long o, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int i = 0;
        for (int end = sp.loopBound(n); i < end; i += sp.length()) {
            FloatVector x = load(sp, a, ai + i), y = load(sp, b, bi + i);
            x.add(y).intoMemorySegment(out, (o + i) * 4, LE);
        }
        return i;
    }

    private static int addVS(VectorSpecies<Float> species, MemorySegment a, long ai, float s, MemorySegment out, long o, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int i = 0;
        for (int end = sp.loopBound(n); i < end; i += sp.length()) {
            FloatVector x = load(sp, a, ai + i), y = x.broadcast(s);
            x.add(y).intoMemorySegment(out, (o + i) * 4, LE);
        }
        return i;
    }

    private static int subVV(VectorSpecies<Float> species, MemorySegment a, long ai, MemorySegment b, long bi, MemorySegment out, long o, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int i = 0;
        for (int end = sp.loopBound(n); i < end; i += sp.length()) {
            FloatVector x = load(sp, a, ai + i), y = load(sp, b, bi + i);
            x.sub(y).intoMemorySegment(out, (o + i) * 4, LE);
        }
        return i;
    }

    private static int subVS(VectorSpecies<Float> species, MemorySegment a, long ai, float s, MemorySegment out, long o, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int i = 0;
        for (int end = sp.loopBound(n); i < end; i += sp.length()) {
            FloatVector x = load(sp, a, ai + i), y = x.broadcast(s);
            x.sub(y).intoMemorySegment(out, (o + i) * 4, LE);
        }
        return i;
    }

    private static int subSV(VectorSpecies<Float> species, float s, MemorySegment b, long bi, MemorySegment out, long o, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int i = 0;
        for (int end = sp.loopBound(n); i < end; i += sp.length()) {
            FloatVector y = load(sp, b, bi + i), x = y.broadcast(s);
            x.sub(y).intoMemorySegment(out, (o + i) * 4, LE);
        }
        return i;
    }

    private static int mulVV(VectorSpecies<Float> species, MemorySegment a, long ai, MemorySegment b, long bi, MemorySegment out, long o, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int i = 0;
        for (int end = sp.loopBound(n); i < end; i += sp.length()) {
            FloatVector x = load(sp, a, ai + i), y = load(sp, b, bi + i);
            x.mul(y).intoMemorySegment(out, (o + i) * 4, LE);
        }
        return i;
    }

    private static int mulVS(VectorSpecies<Float> species, MemorySegment a, long ai, float s, MemorySegment out, long o, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int i = 0;
        for (int end = sp.loopBound(n); i < end; i += sp.length()) {
            FloatVector x = load(sp, a, ai + i), y = x.broadcast(s);
            x.mul(y).intoMemorySegment(out, (o + i) * 4, LE);
        }
        return i;
    }

    private static int divVV(VectorSpecies<Float> species, MemorySegment a, long ai, MemorySegment b, long bi, MemorySegment out, long o, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int i = 0;
        for (int end = sp.loopBound(n); i < end; i += sp.length()) {
            FloatVector x = load(sp, a, ai + i), y = load(sp, b, bi + i);
            x.div(y).intoMemorySegment(out, (o + i) * 4, LE);
        }
        return i;
    }

    private static int divVS(VectorSpecies<Float> species, MemorySegment a, long ai, float s, MemorySegment out, long o, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int i = 0;
        for (int end = sp.loopBound(n); i < end; i += sp.length()) {
            FloatVector x = load(sp, a, ai + i), y = x.broadcast(s);
            x.div(y).intoMemorySegment(out, (o + i) * 4, LE);
        }
        return i;
    }

    private static int divSV(VectorSpecies<Float> species, float s, MemorySegment b, long bi, MemorySegment out, long o, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int i = 0;
        for (int end = sp.loopBound(n); i < end; i += sp.length()) {
            FloatVector y = load(sp, b, bi + i), x = y.broadcast(s);
            x.div(y).intoMemorySegment(out, (o + i) * 4, LE);
        }
        return i;
    }

    private static int minVV(VectorSpecies<Float> species, MemorySegment a, long ai, MemorySegment b, long bi, MemorySegment out, long o, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int i = 0;
        for (int end = sp.loopBound(n); i < end; i += sp.length()) {
            FloatVector x = load(sp, a, ai + i), y = load(sp, b, bi + i);
            x.min(y).intoMemorySegment(out, (o + i) * 4, LE);
        }
        return i;
    }

    private static int minVS(VectorSpecies<Float> species, MemorySegment a, long ai, float s, MemorySegment out, long o, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int i = 0;
        for (int end = sp.loopBound(n); i < end; i += sp.length()) {
            FloatVector x = load(sp, a, ai + i), y = x.broadcast(s);
            x.min(y).intoMemorySegment(out, (o + i) * 4, LE);
        }
        return i;
    }

    private static int maxVV(VectorSpecies<Float> species, MemorySegment a, long ai, MemorySegment b, long bi, MemorySegment out, long o, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int i = 0;
        for (int end = sp.loopBound(n); i < end; i += sp.length()) {
            FloatVector x = load(sp, a, ai + i), y = load(sp, b, bi + i);
            x.max(y).intoMemorySegment(out, (o + i) * 4, LE);
        }
        return i;
    }

    private static int maxVS(VectorSpecies<Float> species, MemorySegment a, long ai, float s, MemorySegment out, long o, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int i = 0;
        for (int end = sp.loopBound(n); i < end; i += sp.length()) {
            FloatVector x = load(sp, a, ai + i), y = x.broadcast(s);
            x.max(y).intoMemorySegment(out, (o + i) * 4, LE);
        }
        return i;
    }

    private static int preluVV(VectorSpecies<Float> species, MemorySegment a, long ai, MemorySegment b, long bi, MemorySegment out, long o, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int i = 0;
        for (int end = sp.loopBound(n); i < end; i += sp.length()) {
            FloatVector x = load(sp, a, ai + i), y = load(sp, b, bi + i);
            x.blend(x.mul(y), x.compare(VectorOperators.LT, 0f)).intoMemorySegment(out, (o + i) * 4, LE);
        }
        return i;
    }

    private static int preluVS(VectorSpecies<Float> species, MemorySegment a, long ai, float s, MemorySegment out, long o, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int i = 0;
        for (int end = sp.loopBound(n); i < end; i += sp.length()) {
            FloatVector x = load(sp, a, ai + i), y = x.broadcast(s);
            x.blend(x.mul(y), x.compare(VectorOperators.LT, 0f)).intoMemorySegment(out, (o + i) * 4, LE);
        }
        return i;
    }

    private static int preluSV(VectorSpecies<Float> species, float s, MemorySegment b, long bi, MemorySegment out, long o, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int i = 0;
        for (int end = sp.loopBound(n); i < end; i += sp.length()) {
            FloatVector y = load(sp, b, bi + i), x = y.broadcast(s);
            x.blend(x.mul(y), x.compare(VectorOperators.LT, 0f)).intoMemorySegment(out, (o + i) * 4, LE);
        }
        return i;
    }
}
