package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.UnsupportedOperatorException;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Subgraph;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@link NodeContext} an operator prepares against: at plan time with planned types and
 * folded constants, or at run time (dynamic steps) with the types of the actual values.
 * Subgraphs compiled here belong to whoever made the context ({@link #created}).
 */
final class PlanNodeContext implements NodeContext {
    private final GraphProgram program;
    private final int nodeIndex;
    private final ValueType[] inputTypes;
    private final Object[] slotConstants;   // constant value per slot of the program (null = not constant)
    final List<SubgraphProgram> created = new ArrayList<>();

    PlanNodeContext(GraphProgram program, int nodeIndex, ValueType[] inputTypes, Object[] slotConstants) {
        this.program = program;
        this.nodeIndex = nodeIndex;
        this.inputTypes = inputTypes;
        this.slotConstants = slotConstants;
    }

    @Override
    public Node node() {
        return program.nodes[nodeIndex];
    }

    @Override
    public long opset() {
        return program.opsets[nodeIndex];
    }

    @Override
    public int inputCount() {
        return inputTypes.length;
    }

    @Override
    public boolean hasInput(int i) {
        return i >= 0 && i < inputTypes.length && program.nodeInputs[nodeIndex][i] >= 0;
    }

    @Override
    public ValueType inputType(int i) {
        return hasInput(i) ? inputTypes[i] : null;
    }

    @Override
    public Tensor constantInput(int i) {
        if (!hasInput(i)) return null;
        int slot = program.nodeInputs[nodeIndex][i];
        return slot < slotConstants.length && slotConstants[slot] instanceof Tensor t ? t : null;
    }

    @Override
    public int threads() {
        return program.env.threads();
    }

    @Override
    public Subgraph compileSubgraph(Graph body) {
        GraphProgram bodyProgram = new GraphProgram(body, program.env, true);
        List<UnsupportedOperatorException.Miss> misses = new ArrayList<>();
        GraphProgram.collectRegistryMisses(body, program.env, misses);
        if (!misses.isEmpty()) throw new UnsupportedOperatorException(ExecEnv.ENGINE, misses, "");
        int[] parentSlots = new int[bodyProgram.captured.length];
        Object[] capturedConstants = new Object[parentSlots.length];
        for (int i = 0; i < parentSlots.length; i++) {
            Integer s = program.slots.get(bodyProgram.captured[i]);
            if (s == null) {
                throw error("subgraph '" + body.name() + "' reads '" + bodyProgram.captured[i]
                        + "', which no enclosing graph defines");
            }
            parentSlots[i] = s;
            capturedConstants[i] = s < slotConstants.length ? slotConstants[s] : null;
        }
        SubgraphProgram sp = new SubgraphProgram(bodyProgram, parentSlots, capturedConstants, program.label(nodeIndex));
        created.add(sp);
        return sp;
    }

    @Override
    public EdgerunException error(String message) {
        return new ModelFormatException(program.label(nodeIndex) + ": " + message);
    }

    @Override
    public EdgerunException unsupported(String reason) {
        Node n = node();
        return new UnsupportedOperatorException(ExecEnv.ENGINE,
                List.of(new UnsupportedOperatorException.Miss(n.opType(), n.domain(), opset(), n.label(), reason)), "");
    }
}
