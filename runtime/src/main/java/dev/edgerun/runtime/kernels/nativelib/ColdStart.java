package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.ColdRuns;

/**
 * Which of two kernels of one node runs now: the oneDNN kernel for the node's first runs, then
 * the Java kernel. A Java Vector API kernel runs its vector operations in the interpreter, then
 * boxed in C1 code, until C2 has compiled it, which takes a few hundred runs; oneDNN's code is
 * native from the first call. For tiny_transformer's transformer pieces the Java kernels are the
 * faster ones once compiled, so each node keeps both and moves to Java after its first
 * {@value #DEFAULT_RUNS} run(s): the first result comes from oneDNN, and steady state is the Java
 * kernels' as before. The Java kernels' warm-up is not avoided, only moved to the runs after.
 *
 * <p>Measured on tiny_transformer (1 thread, load 8 to 14, minimum of 30 interleaved batches of
 * 200 runs after 3000): once compiled, Java ran attention's {@code softmax(Q.K^T / sqrt d)} in
 * 9.2 against oneDNN's 12.0 µs, {@code P.V} in 3.4 against 4.7, the exact GELU after ff1 in 45.7
 * against 48.4 µs (an epilogue pass against oneDNN's post-op) and LayerNormalization with its
 * residual Add in 2.7 against 3.4 µs; on the first run the Java kernels took 106, 20, 137 and 8
 * ms where oneDNN took under 1 ms each. With one oneDNN run per node, tiny_transformer's first run
 * took a median 24 ms of main-thread CPU against 73, its compile 122 against 116 ms (5 fresh
 * processes each, alternated, load ~14; of the compile, about 4-8 ms is the JVM linking the
 * downcall shapes with a float that layer normalization and the eltwise post-op need), and
 * steady state per node was unchanged (1 and 2 threads).
 *
 * <p>Thread-safe without locks: concurrent first runs may each take either kernel, and both
 * compute the same values.
 */
public final class ColdStart {
    /** {@value #PROPERTY}: runs per node on oneDNN before the Java kernel (default {@value #DEFAULT_RUNS}; 0: Java from the start). */
    public static final String PROPERTY = "edgerun.onednn.coldStartRuns";
    static final int DEFAULT_RUNS = 1;

    private final int nativeRuns;
    private final ColdRuns left; // racy on purpose (see the class comment)

    private ColdStart(int nativeRuns) {
        this.nativeRuns = nativeRuns;
        this.left = new ColdRuns(nativeRuns);
    }

    /** A counter for one node, its number of oneDNN runs read from {@value #PROPERTY}. */
    public static ColdStart forNode() {
        return new ColdStart(Math.max(0, Integer.getInteger(PROPERTY, DEFAULT_RUNS)));
    }

    /** Whether oneDNN should run this one: true for the node's first runs, counted here. */
    public boolean nativeNow() {
        return left.takeOne();
    }

    /** Whether any run at all goes to oneDNN (else building its kernel is wasted). */
    public boolean usesNative() {
        return nativeRuns > 0;
    }
}
