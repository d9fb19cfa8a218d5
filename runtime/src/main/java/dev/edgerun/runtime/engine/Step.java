package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.Operator;

/**
 * One node of a plan. A static step has its kernel prepared at plan time; a dynamic step (an
 * input whose shape depends on data, or a sequence) is prepared at run time against the actual
 * values, and keeps the last few kernels it prepared by input types.
 */
final class Step {
    final int nodeIndex;
    final Node node;
    final long opset;
    final Operator operator;
    final Kernel kernel;      // null for a dynamic step
    final int[] in;           // slot per input, -1 when omitted
    final int[] out;          // slot per output
    final String label;       // node 'name' (Op, opset N)
    long scratchBytes;        // static steps: kernel.scratchBytes(), set by sizeScratch()
    long scratchOffset;       // in the plan's arena
    final java.util.concurrent.atomic.LongAdder nanos = new java.util.concurrent.atomic.LongAdder(); // profiling only
    final java.util.concurrent.atomic.LongAdder calls = new java.util.concurrent.atomic.LongAdder();

    /** Kernels a dynamic step prepared, by input types; replaced whole (copy on write). */
    volatile Prepared[] prepared = new Prepared[0];

    record Prepared(ValueType[] inputTypes, Kernel kernel) {}

    Step(int nodeIndex, Node node, long opset, Operator operator, Kernel kernel, int[] in, int[] out, String label) {
        this.nodeIndex = nodeIndex;
        this.node = node;
        this.opset = opset;
        this.operator = operator;
        this.kernel = kernel;
        this.in = in;
        this.out = out;
        this.label = label;
    }

    /**
     * Sets {@link #scratchBytes} from the kernel: once the planner has settled the kernels, since
     * asking builds a native kernel's program (kernels it replaces are never built).
     */
    void sizeScratch() {
        scratchBytes = kernel == null ? 0 : kernel.scratchBytes();
    }

    boolean isDynamic() {
        return kernel == null;
    }

    Kernel cachedKernel(ValueType[] types) {
        for (Prepared p : prepared) {
            if (java.util.Arrays.equals(p.inputTypes, types)) return p.kernel;
        }
        return null;
    }

    void remember(ValueType[] types, Kernel k) {
        Prepared[] old = prepared;
        int keep = Math.min(old.length, 3);
        Prepared[] next = new Prepared[keep + 1];
        next[0] = new Prepared(types, k);
        System.arraycopy(old, 0, next, 1, keep);
        prepared = next;
    }
}
