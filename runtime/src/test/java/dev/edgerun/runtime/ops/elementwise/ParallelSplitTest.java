package dev.edgerun.runtime.ops.elementwise;

import static dev.edgerun.runtime.ops.elementwise.NodeRunner.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Node;
import org.junit.jupiter.api.Test;

/**
 * Large float32 nodes split over threads give the single-threaded result. Transcendental lanes may
 * differ in the last bit between a run before and after the JIT compiles the Vector API (its
 * interpreted fallback computes per lane), hence the 1e-6 tolerance: a wrong split is far larger.
 */
class ParallelSplitTest {

    @Test
    void splitMatchesOneThread() {
        int c = 3, hw = 30_001; // rows of an odd length, so chunks start inside rows
        float[] x = ElementwiseBinaryTest.random(c * hw, 11);
        float[] bias = ElementwiseBinaryTest.random(c, 12);
        try (Tensor tx = Tensor.of(x, 1, c, hw); Tensor tb = Tensor.of(bias, c, 1);
             Tensor lo = Tensor.scalar(-0.5f); Tensor hi = Tensor.scalar(0.5f)) {
            check(node("Add", 2), 14, tx, tb);
            check(node("Sub", 2), 14, tb, tx);
            check(node("Mul", 2), 14, tx, tx);
            check(node("Sigmoid", 1), 13, tx);
            check(node("Clip", 3), 13, tx, lo, hi);
        }
    }

    private static void check(Node n, long opset, Object... inputs) {
        try (NodeRunner one = new NodeRunner(); NodeRunner four = new NodeRunner(4)) {
            float[] expected = one.run1(n, opset, inputs).toFloatArray();
            assertArrayEquals(expected, four.run1(n, opset, inputs).toFloatArray(), 1e-6f, n.opType());
        }
    }
}
