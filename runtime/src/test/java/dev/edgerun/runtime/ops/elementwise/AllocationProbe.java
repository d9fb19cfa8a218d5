package dev.edgerun.runtime.ops.elementwise;

import static dev.edgerun.runtime.ops.elementwise.NodeRunner.builder;
import static dev.edgerun.runtime.ops.elementwise.NodeRunner.node;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Node;

/**
 * Prints the heap bytes per run of planned element-wise kernels, one line "OpType bytes" each. Run
 * in a JVM of its own by {@link NoHeapAllocationTest}: the Vector API compiles to allocation-free
 * code only while a JVM uses one vector width, and the kernel tests use three.
 */
public final class AllocationProbe {
    private AllocationProbe() {}

    public static void main(String[] args) {
        float[] x = new float[2 * 8 * 33];
        for (int i = 0; i < x.length; i++) x[i] = i / 100f - 2;
        try (NodeRunner r = new NodeRunner();
             Tensor a = Tensor.of(x, 2, 8, 33);
             Tensor bias = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 8, 1);
             Tensor ints = Tensor.of(new int[] {1, 2, 3}, 3);
             Tensor cond = Tensor.of(new boolean[] {true, false, true}, 3);
             Tensor lo = Tensor.scalar(-1f);
             Tensor hi = Tensor.scalar(1f)) {
            probe(r, node("Add", 2), 14, a, bias);
            probe(r, node("Sub", 2), 14, bias, a);
            probe(r, node("Mul", 2), 14, a, a);
            probe(r, node("Mul", 2), 14, ints, ints);
            probe(r, node("Relu", 1), 14, a);
            probe(r, builder("LeakyRelu", 1).attribute("alpha", 0.2f).build(), 16, a);
            probe(r, node("HardSigmoid", 1), 22, a);
            probe(r, node("Gelu", 1), 20, a);
            probe(r, node("Floor", 1), 13, a);
            probe(r, node("Clip", 3), 13, a, lo, hi);
            probe(r, node("Where", 3), 16, cond, ints, ints);
            probe(r, builder("Cast", 1).attribute("to", 10L).build(), 21, a);
        }
    }

    private static void probe(NodeRunner r, Node n, long opset, Object... inputs) {
        r.run(n, opset, inputs);
        System.out.println(n.opType() + " " + Allocation.bytesPerRun(r));
    }
}
