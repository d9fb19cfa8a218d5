package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Integer matrix product of 8-bit operands with int32 accumulation:
 * {@code c[i, j] = sum_k (a[i, k] - za[i]) * (b[k, j] - zb[j])}, the core of MatMulInteger and
 * QLinearMatMul. Zero points come as int32 vectors (one per row of a, one per column of b), so
 * per-tensor, per-row and per-column zero points share one loop.
 */
public final class Q8MatMul {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    private Q8MatMul() {}

    /**
     * @param a        (m, k) bytes at byte offset {@code aOff}
     * @param b        (k, n) bytes at byte offset {@code bOff}
     * @param zeros    int32 zero points: (m) of a's rows at byte offset {@code zaOff}, (n) of b's columns at {@code zbOff}
     * @param c        (m, n) int32 result at byte offset {@code cOff}
     */
    public static void matmul(MemorySegment a, long aOff, boolean aSigned, MemorySegment b, long bOff, boolean bSigned,
                              MemorySegment zeros, long zaOff, long zbOff, int m, int k, int n,
                              MemorySegment c, long cOff) {
        for (int i = 0; i < m; i++) {
            long cRow = cOff + 4L * i * n;
            for (int j = 0; j < n; j++) c.set(I32, cRow + 4L * j, 0);
            int za = zeros.get(I32, zaOff + 4L * i);
            for (int kk = 0; kk < k; kk++) {
                int av = load(a, aOff + (long) i * k + kk, aSigned) - za;
                if (av == 0) continue;
                long bRow = bOff + (long) kk * n;
                for (int j = 0; j < n; j++) {
                    int bv = load(b, bRow + j, bSigned) - zeros.get(I32, zbOff + 4L * j);
                    long at = cRow + 4L * j;
                    c.set(I32, at, c.get(I32, at) + av * bv);
                }
            }
        }
    }

    static int load(MemorySegment s, long i, boolean signed) {
        byte v = s.get(ValueLayout.JAVA_BYTE, i);
        return signed ? v : v & 0xFF;
    }

    /**
     * Requantizes {@code count} int32 accumulators: {@code y = saturate(rint(acc * multiplier) + zp)},
     * in double as the ONNX reference does (int32 times a float scale).
     */
    public static int requantize(int acc, double multiplier, int zeroPoint, int lo, int hi) {
        return Q8Quantize.saturate(Math.rint(acc * multiplier) + zeroPoint, lo, hi);
    }
}
