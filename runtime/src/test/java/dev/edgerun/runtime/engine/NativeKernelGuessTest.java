package dev.edgerun.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which graphs make a session open the kernel library in the background while it compiles. */
class NativeKernelGuessTest {

    private static Graph graphOf(Node... nodes) {
        Graph.Builder b = Graph.builder("g").input(Value.tensor("x", DType.FLOAT, 1, 4));
        for (Node n : nodes) b.node(n);
        return b.build();
    }

    @Test
    void convolutionsMatMulsAndRecurrentLayersOpenIt() {
        for (String op : List.of("Conv", "ConvTranspose", "MatMul", "LSTM", "GRU", "QLinearConv")) {
            Graph g = graphOf(Node.builder("Relu").inputs("x").outputs("r").build(),
                    Node.builder(op).inputs("r", "w").outputs("y").build());
            assertTrue(NativeSession.likelyWantsNativeKernels(g), op);
        }
    }

    @Test
    void fullyConnectedLayersAloneAndOtherDomainsDoNot() {
        Graph mlp = graphOf(Node.builder("Gemm").inputs("x", "w", "b").outputs("h").build(),
                Node.builder("Relu").inputs("h").outputs("r").build(),
                Node.builder("Softmax").inputs("r").outputs("y").build());
        assertFalse(NativeSession.likelyWantsNativeKernels(mlp));
        Graph custom = graphOf(Node.builder("Conv").domain("com.example").inputs("x", "w").outputs("y").build());
        assertFalse(NativeSession.likelyWantsNativeKernels(custom));
    }
}
