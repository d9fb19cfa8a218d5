package dev.edgerun.runtime.ops.control;

import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.Subgraph;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ONNX If (opsets 1, 11, 13, 16, 19, 21, 23, 24): runs then_branch or else_branch on a bool
 * scalar. The branches may give outputs of different shapes, so every output depends on data.
 */
public final class If implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (ctx.inputShape(0).elementCount() != 1) throw ctx.error("cond must hold one element, got " + ctx.inputShape(0));
        Graph thenGraph = ctx.attrGraph("then_branch");
        Graph elseGraph = ctx.attrGraph("else_branch");
        int outputs = ctx.outputCount();
        if (thenGraph.outputs().size() != outputs || elseGraph.outputs().size() != outputs) {
            throw ctx.error("both branches must have " + outputs + " outputs; then_branch has "
                    + thenGraph.outputs().size() + ", else_branch " + elseGraph.outputs().size());
        }
        Subgraph thenBody = ctx.compileSubgraph(thenGraph);
        Subgraph elseBody = ctx.compileSubgraph(elseGraph);
        List<ValueType> types = new ArrayList<>();
        for (int i = 0; i < outputs; i++) types.add(AxisSlices.dataDependent(thenGraph.outputs().get(i).type()));
        return Kernel.of(types, rc -> {
            boolean cond = rc.input(0).getAsLong(0) != 0;
            List<Object> result = rc.runSubgraph(cond ? thenBody : elseBody, Map.of());
            for (int i = 0; i < outputs; i++) rc.setOutputValue(i, AxisSlices.owned(rc, result.get(i)));
        });
    }
}
