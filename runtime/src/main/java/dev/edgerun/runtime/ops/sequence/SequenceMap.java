package dev.edgerun.runtime.ops.sequence;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.ops.Subgraph;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * ONNX SequenceMap (opset 17): runs {@code body} once per element of the first input sequence;
 * further inputs are sequences of the same length (element i is passed) or tensors (passed as is).
 * Each body output becomes one output sequence.
 */
public final class SequenceMap implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        Graph graph = ctx.attrGraph("body");
        int inputs = ctx.inputCount();
        if (graph.inputs().size() != inputs) throw ctx.error("body has " + graph.inputs().size() + " inputs, the node " + inputs);
        String[] names = new String[inputs];
        for (int i = 0; i < inputs; i++) names[i] = graph.inputs().get(i).name();
        int outputs = graph.outputs().size();
        List<ValueType> types = new ArrayList<>();
        for (var v : graph.outputs()) {
            DType dtype = v.dtype();
            types.add(dtype == null ? new ValueType.SequenceType(new ValueType.Unknown()) : Sequences.sequenceOf(dtype));
        }
        Subgraph body = ctx.compileSubgraph(graph);
        return Kernel.of(types, rc -> run(rc, body, names, outputs));
    }

    private static void run(RunContext rc, Subgraph body, String[] names, int outputs) {
        List<Tensor> first = Sequences.sequence(rc, 0, "SequenceMap");
        int n = first.size();
        List<List<Tensor>> results = new ArrayList<>();
        for (int k = 0; k < outputs; k++) results.add(new ArrayList<>(n));
        Map<String, Object> in = new HashMap<>();
        for (int i = 0; i < n; i++) {
            in.clear();
            for (int j = 0; j < names.length; j++) {
                Object v = rc.inputValue(j);
                if (v instanceof List<?> l) {
                    if (l.size() != n) throw new EdgerunException("SequenceMap: input " + j + " has " + l.size() + " elements, input 0 has " + n);
                    v = l.get(i);
                }
                in.put(names[j], v);
            }
            List<Object> out = rc.runSubgraph(body, in);
            for (int k = 0; k < outputs; k++) results.get(k).add(Sequences.keep(rc, (Tensor) out.get(k)));
        }
        for (int k = 0; k < outputs; k++) rc.setOutputValue(k, results.get(k));
    }
}
