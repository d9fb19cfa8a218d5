package dev.edgerun.runtime.kernels;

/**
 * How many of a Java kernel's first runs take its scalar loop instead of its vector loops. Until
 * C2 has compiled a Vector API loop, the interpreter and C1 run it boxed, hundreds of times slower
 * than a scalar loop in the interpreter: mlp_tiny's first run took 21-33 ms on a fresh JVM, nearly
 * all of it in its two Gemm nodes and its Softmax. The scalar runs give the same bits where the
 * kernel says so ({@link F32DenseRow}, {@link F32GemvColdRow}). oneDNN's first runs
 * ({@code nativelib.ColdStart}) are counted here too. Either way the vector loops' warm-up moves to
 * later runs; it is not avoided.
 *
 * <p>Thread-safe without locks: concurrent first runs may each take either loop.
 */
public final class ColdRuns {
    /** {@value}: a kernel's runs on its scalar loop before its vector loops (0: vectors from the start). */
    public static final String PROPERTY = "edgerun.java.coldScalarRuns";
    static final int DEFAULT_RUNS = 1;

    private int left;   // racy on purpose (see above)

    public ColdRuns(int runs) {
        this.left = Math.max(0, runs);
    }

    /** The number of cold runs read from {@value #PROPERTY}. */
    public static int configured() {
        return Math.max(0, Integer.getInteger(PROPERTY, DEFAULT_RUNS));
    }

    /** A counter of {@link #configured()} runs. */
    public static ColdRuns fromProperty() {
        return new ColdRuns(configured());
    }

    /** Whether this run is a cold one: true for the first runs, counted here. */
    public boolean takeOne() {
        if (left <= 0) return false;
        left--;
        return true;
    }

    /** Whether every cold run has been taken (a kernel may then drop what served them). */
    public boolean done() {
        return left <= 0;
    }
}
