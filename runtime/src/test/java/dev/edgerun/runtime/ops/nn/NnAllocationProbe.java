package dev.edgerun.runtime.ops.nn;


import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.OwnJvmProbe;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.ProbeRun;
import dev.edgerun.runtime.ops.Subgraph;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Prints the heap bytes per planned single-thread run of the main nn operators, one line per
 * operator ({@code NAME BYTES}); run in a JVM of its own by {@link NnAllocationTest}.
 */
public final class NnAllocationProbe {

    static Stream<Arguments> nodes() {
        return Stream.of(
                Arguments.of("Conv 3x3", new Conv(), node("Conv", 3, "pads", new long[] {1, 1, 1, 1}),
                        shapes(new long[] {1, 4, 9, 9}, new long[] {8, 4, 3, 3}, new long[] {8})),
                Arguments.of("Conv depthwise", new Conv(), node("Conv", 2, "group", 8L, "pads", new long[] {1, 1, 1, 1}),
                        shapes(new long[] {1, 8, 9, 9}, new long[] {8, 1, 3, 3})),
                Arguments.of("Conv depthwise stride 2 (rows path)", new Conv(), node("Conv", 2, "group", 8L,
                        "pads", new long[] {1, 1, 1, 1}, "strides", new long[] {2, 2}), shapes(new long[] {1, 8, 40, 40}, new long[] {8, 1, 3, 3})),
                Arguments.of("Conv 3x3 in column blocks", new Conv(), node("Conv", 3, "pads", new long[] {1, 1, 1, 1}),
                        shapes(new long[] {1, 8, 70, 66}, new long[] {5, 8, 3, 3}, new long[] {5})),
                Arguments.of("Conv pointwise in column blocks", new Conv(), node("Conv", 3),
                        shapes(new long[] {1, 24, 60, 50}, new long[] {10, 24, 1, 1}, new long[] {10})),
                Arguments.of("Conv pointwise to 3 channels (oneDNN matmul where available)", new Conv(), node("Conv", 3),
                        shapes(new long[] {1, 32, 16, 16}, new long[] {3, 32, 1, 1}, new long[] {3})),
                Arguments.of("ConvTranspose 2x2 stride 2 (oneDNN matmul and reorder where available)", new ConvTranspose(),
                        node("ConvTranspose", 3, "strides", new long[] {2, 2}),
                        shapes(new long[] {1, 16, 8, 8}, new long[] {16, 8, 2, 2}, new long[] {8})),
                Arguments.of("Gemm", new Gemm(), node("Gemm", 3, "transB", 1L), shapes(new long[] {3, 16}, new long[] {10, 16}, new long[] {10})),
                Arguments.of("MatMul batched", new MatMul(), node("MatMul", 2), shapes(new long[] {2, 3, 5, 7}, new long[] {2, 3, 7, 4})),
                Arguments.of("MatMul with folded transposes, division and softmax", new MatMul(), node("MatMul", 2,
                        MatMul.PERM_A_ATTR, new long[] {0, 2, 1, 3}, MatMul.PERM_B_ATTR, new long[] {0, 2, 3, 1},
                        MatMul.DIVISOR_ATTR, 5.65f, MatMul.SOFTMAX_ATTR, 1L), shapes(new long[] {1, 32, 4, 32}, new long[] {1, 32, 4, 32})),
                Arguments.of("MatMul with folded transposes of B and Y (attention's P.V, B read in place)", new MatMul(),
                        node("MatMul", 2, MatMul.PERM_B_ATTR, new long[] {0, 2, 1, 3}, MatMul.PERM_Y_ATTR, new long[] {0, 2, 1, 3}),
                        shapes(new long[] {1, 4, 32, 32}, new long[] {1, 32, 4, 32})),
                Arguments.of("MatMul with folded GELU", new MatMul(), node("MatMul", 2, MatMul.GELU_ATTR, 1L),
                        shapes(new long[] {32, 16}, new long[] {16, 24})),
                Arguments.of("Softmax", new Softmax(), node("Softmax", 1), shapes(new long[] {4, 37})),
                Arguments.of("LayerNormalization", new LayerNormalization(), node("LayerNormalization", 3),
                        shapes(new long[] {4, 37}, new long[] {37}, new long[] {37})),
                Arguments.of("LayerNormalization with folded residual", new LayerNormalization(),
                        node("LayerNormalization", 4, LayerNormalization.SKIP_ATTR, 1L),
                        shapes(new long[] {4, 37}, new long[] {37}, new long[] {37}, new long[] {4, 37})),
                Arguments.of("BatchNormalization", new BatchNormalization(), node("BatchNormalization", 5),
                        shapes(new long[] {2, 3, 5, 5}, new long[] {3}, new long[] {3}, new long[] {3}, new long[] {3})),
                Arguments.of("MaxPool", new MaxPool(), node("MaxPool", 1, "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2}),
                        shapes(new long[] {1, 3, 9, 9})),
                Arguments.of("GlobalAveragePool", new GlobalAveragePool(), node("GlobalAveragePool", 1), shapes(new long[] {1, 3, 9, 9})));
    }

    private static long[][] shapes(long[]... s) {
        return s;
    }

    private static Node node(String op, int inputs, Object... attrs) {
        Node.Builder b = Node.builder(op).outputs("y");
        for (int i = 0; i < inputs; i++) b.inputs("in" + i);
        for (int i = 0; i < attrs.length; i += 2) {
            if (attrs[i + 1] instanceof long[] l) b.attribute((String) attrs[i], l);
            else if (attrs[i + 1] instanceof Float f) b.attribute((String) attrs[i], f);
            else b.attribute((String) attrs[i], (Long) attrs[i + 1]);
        }
        return b.build();
    }

    public static void main(String[] args) {
        nodes().forEach(a -> {
            Object[] v = a.get();
            System.out.println(v[0] + " " + bytesPerRun((Operator) v[1], (Node) v[2], (long[][]) v[3]));
        });
    }

    private static long bytesPerRun(Operator op, Node node, long[][] shapes) {
        List<Tensor> inputs = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            for (long[] s : shapes) {
                Tensor t = Tensor.allocate(DType.FLOAT, s);
                for (long i = 0; i < t.elementCount(); i++) t.setFloat(i, (float) Math.sin(i) + (i % 3 == 0 ? 1.5f : 0f));
                inputs.add(t);
            }
            Kernel kernel = op.prepare(new Context(node, inputs));
            List<Tensor> outputs = new ArrayList<>();
            for (ValueType t : kernel.outputTypes()) outputs.add(Tensor.allocate(((ValueType.TensorType) t).dtype(), ((ValueType.TensorType) t).shape()));
            MemorySegment scratch = arena.allocate(Math.max(1, kernel.scratchBytes()), 64);
            ProbeRun run = new ProbeRun(inputs, outputs, scratch);
            long bytes = OwnJvmProbe.leastBytesPerRun(() -> kernel.run(run));
            outputs.forEach(Tensor::close);
            return bytes;
        } finally {
            inputs.forEach(Tensor::close);
        }
    }

    private record Context(Node node, List<Tensor> inputs) implements NodeContext {
        @Override public long opset() { return 17; }
        @Override public int inputCount() { return inputs.size(); }
        @Override public boolean hasInput(int i) { return i < inputs.size(); }
        @Override public ValueType inputType(int i) { return ValueType.tensor(inputs.get(i).dtype(), inputs.get(i).shape()); }
        @Override public Tensor constantInput(int i) { return i == 1 ? inputs.get(1) : null; } // weights constant, as in models
        @Override public int threads() { return 1; }
        @Override public Subgraph compileSubgraph(Graph body) { throw new UnsupportedOperationException(); }
        @Override public EdgerunException error(String message) { return new ModelFormatException(message); }
        @Override public EdgerunException unsupported(String reason) { return new ModelFormatException(reason); }
    }
}
