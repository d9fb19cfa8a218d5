package dev.edgerun.runtime.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Gets the float Vector API operations that every Java kernel shares compiled before a session's
 * first run. Until the JIT has compiled them, a Vector API operation runs its Java fallback lane by
 * lane in the interpreter, about a hundred times slower than compiled code: that, not the
 * arithmetic, made most of the native engine's first run (MobileNetV2's first 24x56x56 Add took 80
 * ms, its GlobalAveragePool 50 ms; the next Adds of that size took 5 ms). So while a session is
 * compiled, a daemon thread runs those operations (loads and stores with and without a mask,
 * arithmetic, fma, compare and blend, exp and tanh, a two-vector selection, lane reductions) a
 * thousand times on a few vectors of scratch, which hands them to the JIT on the second core. The
 * first run then calls compiled Vector API code from its still-interpreted kernel loops.
 *
 * <p>Main-thread CPU of the first run in fresh JVMs, without against with it (ms, 3 runs each,
 * load ~6): kws_lstm 52-64 against 22-33, tiny_transformer 68-79 against 35-51, conv_autoencoder
 * 73-119 against 46-61, resnet18 176-234 against 141-150 (its first MaxPool stays slow). The
 * process's CPU over compile and first run grew by 0-100 ms: the JIT compiles the same methods,
 * earlier. Started at most once per process; not on a single core (where it could only compete with
 * the compiling thread), not when the Java kernels run scalar.
 *
 * <p><b>Opt-in</b> ({@code -D}{@value #PROPERTY}{@code =on}): the main thread's CPU fell, but the
 * wall-clock time to first result, which is what a user waits for, rose on this 2-core machine,
 * where the warm-up competes with the compiling thread and the JIT's own threads. Each engine alone
 * through {@code ./edgerun bench --engine native --kernels auto --threads 1 --runs 50 --json}, with
 * against without, two alternated rounds (ms, quiet, load 1.6-1.9): kws_dscnn 161, 171 against 142,
 * 136; kws_lstm 205, 243 against 189, 160; mobilenet_v2 410, 288 against 318, 267;
 * conv_autoencoder 314, 256 against 321, 242. It may pay where more cores are idle; measure there.
 * A session that opens oneDNN in the background runs the warm-up after it, on that thread: the
 * library is needed first (by planning), the warm-up only by
 * the first run.
 */
public final class VectorWarmup {
    /** {@code on} enables the warm-up (off by default, see the class comment). */
    public static final String PROPERTY = "edgerun.vectorWarmup";
    /** Enough calls of each operation for the first JIT tier; the first run's own calls finish the job. */
    static final int ROUNDS = 1000;

    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static volatile float sink;   // keeps the warm-up's results alive

    private VectorWarmup() {}

    /** Starts the warm-up on a daemon thread, once per process, when it can help (see the class comment). */
    public static void startInBackground() {
        if (!claim()) return;
        Thread t = new Thread(() -> run(Vectors.F32, ROUNDS), "edgerun-vector-warmup");
        t.setDaemon(true);
        t.start();
    }

    /** Runs the warm-up on the calling thread (a background one), unless it ran or runs already or cannot help. */
    public static void warmUpHere() {
        if (claim()) run(Vectors.F32, ROUNDS);
    }

    /** True for the one caller that is to run the warm-up. */
    private static boolean claim() {
        if (!Vectors.enabled() || Runtime.getRuntime().availableProcessors() < 2) return false;
        if (!System.getProperty(PROPERTY, "off").trim().equals("on")) return false;
        return STARTED.compareAndSet(false, true);
    }

    /** Runs the shared operations {@code rounds} times over four vectors of {@code s}; returns a checksum. */
    static float run(VectorSpecies<Float> s, int rounds) {
        ByteOrder order = ByteOrder.LITTLE_ENDIAN;
        int lanes = s.length();
        long vectorBytes = 4L * lanes;
        // Shared, as the engine's arenas are: the JIT's profile of the segment access checks is
        // shared by every caller, and a confined arena here made C2 speculate on its owner thread
        // in the kernels' loops, then deoptimize them at their first engine segment and recompile
        // them without loop predicates (F32Gemm's tile about 2x slower in ResNet-18).
        try (Arena arena = Arena.ofShared()) {
            MemorySegment m = arena.allocate(4 * vectorBytes, 64);   // (4 vectors of lanes floats)
            for (int i = 0; i < 4 * lanes; i++) m.setAtIndex(ValueLayout.JAVA_FLOAT, i, 0.5f + i % 3);
            VectorMask<Float> firstHalf = s.indexInRange(0, lanes / 2 + 1);
            VectorMask<Float> sameHalf = VectorMask.fromLong(s, (1L << (lanes / 2 + 1)) - 1);
            FloatVector evens = FloatVector.zero(s).addIndex(2);   // the stride-2 selection of pooling
            float checksum = 0;
            for (int r = 0; r < rounds; r++) {
                FloatVector x = FloatVector.fromMemorySegment(s, m, 0, order);
                FloatVector y = FloatVector.fromMemorySegment(s, m, vectorBytes, order);
                FloatVector w = FloatVector.fromMemorySegment(s, m, 2 * vectorBytes, order, firstHalf);
                FloatVector b = FloatVector.broadcast(s, 0.25f);
                FloatVector z = x.fma(y, b).add(y).mul(b).sub(x).max(b).min(y).abs().sqrt().div(y);
                z = z.blend(w, z.compare(VectorOperators.LT, x));
                z = z.lanewise(VectorOperators.EXP).lanewise(VectorOperators.TANH).add(1f).mul(0.5f).max(0f).min(y);
                z = evens.selectFrom(z, x);
                checksum += z.reduceLanes(VectorOperators.ADD) + w.reduceLanes(VectorOperators.MAX);
                z.intoMemorySegment(m, 2 * vectorBytes, order);
                w.intoMemorySegment(m, 3 * vectorBytes, order, sameHalf);
                FloatVector.zero(s).intoMemorySegment(m, 3 * vectorBytes, order, s.indexInRange(r & 1, lanes));
            }
            sink = checksum;
            return checksum;
        }
    }
}
