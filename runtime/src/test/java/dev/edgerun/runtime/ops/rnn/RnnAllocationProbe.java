package dev.edgerun.runtime.ops.rnn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.nativelib.DnnlLstmKernel;
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

/**
 * Prints the heap bytes per planned single-thread run of LSTM, GRU and RNN, one line per case
 * ({@code NAME BYTES}); run in a JVM of its own by {@link RnnAllocationTest}. The LSTM cases take
 * the Java kernel's fused steps (hidden 64, as kws_lstm; R constant, and R packed per run) and its
 * separate product and cell (hidden 37, not a whole number of vectors), then oneDNN's LSTM
 * ({@link DnnlLstmKernel}: weights constant, and gate-ordered and reordered per run) where oneDNN
 * is available (else the line says the Java kernel ran).
 */
public final class RnnAllocationProbe {

    /** The cases probed, one printed line each. */
    static final int CASES = 7;

    public static void main(String[] args) {
        System.setProperty(DnnlLstmKernel.PROPERTY, "off");
        print("LSTM fused steps", new LSTM(), "LSTM", 4, 64, true);
        print("LSTM fused steps, R packed per run", new LSTM(), "LSTM", 4, 64, false);
        print("LSTM product then cell", new LSTM(), "LSTM", 4, 37, true);
        System.clearProperty(DnnlLstmKernel.PROPERTY);
        print("LSTM", new LSTM(), "LSTM", 4, 64, true);
        print("LSTM, weights per run", new LSTM(), "LSTM", 4, 64, false);
        print("GRU", new GRU(), "GRU", 3, 32, true);
        print("RNN", new RNN(), "RNN", 1, 32, true);
    }

    private static void print(String name, Operator op, String opType, int gates, int hidden, boolean weightsConstant) {
        int seq = 9, in = 12;
        Node node = Node.builder(opType).inputs("X", "W", "R", "B").outputs("Y", "Y_h").attribute("hidden_size", (long) hidden)
                .build();
        long[][] shapes = {{seq, 1, in}, {1, (long) gates * hidden, in}, {1, (long) gates * hidden, hidden},
            {1, 2L * gates * hidden}};
        System.out.println(name + " " + bytesPerRun(op, node, shapes, weightsConstant));
    }

    private static long bytesPerRun(Operator op, Node node, long[][] shapes, boolean weightsConstant) {
        List<Tensor> inputs = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            for (long[] s : shapes) {
                Tensor t = Tensor.allocate(DType.FLOAT, s);
                for (long i = 0; i < t.elementCount(); i++) t.setFloat(i, (float) Math.sin(i) * 0.3f);
                inputs.add(t);
            }
            Kernel kernel = op.prepare(new Context(node, inputs, weightsConstant));
            if (kernel.toString().startsWith("oneDNN")) System.out.print("oneDNN ");
            List<Tensor> outputs = new ArrayList<>();
            for (ValueType t : kernel.outputTypes()) {
                outputs.add(Tensor.allocate(((ValueType.TensorType) t).dtype(), ((ValueType.TensorType) t).shape()));
            }
            MemorySegment scratch = arena.allocate(Math.max(1, kernel.scratchBytes()), 64);
            ProbeRun run = new ProbeRun(inputs, outputs, scratch);
            long bytes = OwnJvmProbe.leastBytesPerRun(() -> kernel.run(run));
            outputs.forEach(Tensor::close);
            return bytes;
        } finally {
            inputs.forEach(Tensor::close);
        }
    }

    /** W and R constant (as in models) when {@code weightsConstant}; the bias never. */
    private record Context(Node node, List<Tensor> inputs, boolean weightsConstant) implements NodeContext {
        @Override public long opset() { return 14; }
        @Override public int inputCount() { return inputs.size(); }
        @Override public boolean hasInput(int i) { return i < inputs.size(); }
        @Override public ValueType inputType(int i) { return ValueType.tensor(inputs.get(i).dtype(), inputs.get(i).shape()); }
        @Override public Tensor constantInput(int i) { return weightsConstant && (i == 1 || i == 2) ? inputs.get(i) : null; }
        @Override public int threads() { return 1; }
        @Override public Subgraph compileSubgraph(Graph body) { throw new UnsupportedOperationException(); }
        @Override public EdgerunException error(String message) { return new ModelFormatException(message); }
        @Override public EdgerunException unsupported(String reason) { return new ModelFormatException(reason); }
    }
}
