package dev.edgerun.runtime.ops.elementwise;

/**
 * The Mersenne Twister MT19937 seeded as numpy's legacy {@code np.random.seed(int)}, with doubles
 * drawn as numpy's {@code random_sample} (53 bits from two outputs). A seeded Dropout then drops
 * exactly the elements the ONNX reference implementation drops.
 */
final class Mt19937 {
    private static final int N = 624;
    private static final int M = 397;
    private final int[] mt = new int[N];
    private int index = N;

    Mt19937(long seed) {
        mt[0] = (int) seed;
        for (int i = 1; i < N; i++) mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
    }

    /** The next 32 random bits. */
    int nextInt() {
        if (index >= N) twist();
        int y = mt[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    /** A double uniform in [0, 1). */
    double nextDouble() {
        long a = (nextInt() & 0xFFFF_FFFFL) >>> 5;
        long b = (nextInt() & 0xFFFF_FFFFL) >>> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    private void twist() {
        for (int k = 0; k < N; k++) {
            int y = (mt[k] & 0x8000_0000) | (mt[(k + 1) % N] & 0x7fff_ffff);
            mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
        }
        index = 0;
    }
}
