package dev.edgerun.finetune;

import dev.edgerun.finetune.nn.GraphSink;
import dev.edgerun.finetune.nn.Network;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.util.List;
import java.util.Map;

/** One ONNX-ready model: the frozen backbone's nodes, the trained layers and head, and a Softmax. */
public final class Exporter {
    /** The name of the exported model's output. */
    public static final String OUTPUT = "probabilities";

    private Exporter() {}

    /** {@code name}, or {@code name_2}, {@code name_3}, ... when the frozen graph already has that value. */
    private static String unused(Graph g, String name) {
        java.util.Set<String> names = new java.util.HashSet<>(g.initializers().keySet());
        g.inputs().forEach(v -> names.add(v.name()));
        g.nodes().forEach(n -> names.addAll(n.outputs()));
        String n = name;
        for (int k = 2; names.contains(n); k++) n = name + "_" + k;
        return n;
    }

    /** "ft_", or "ft2_", "ft3_", ... when a model fine-tuned before already uses the shorter one. */
    static String freshPrefix(Graph g) {
        java.util.Set<String> names = new java.util.HashSet<>(g.initializers().keySet());
        g.inputs().forEach(v -> names.add(v.name()));
        g.nodes().forEach(n -> {
            names.add(n.name());
            names.addAll(n.outputs());
        });
        for (int k = 1; ; k++) {
            String p = k == 1 ? "ft_" : "ft" + k + "_";
            if (names.stream().noneMatch(n -> n.startsWith(p))) return p;
        }
    }

    /**
     * @param base     the model the frozen part comes from (null when training from scratch)
     * @param frozen   the frozen part ({@link CutPlan#frozenGraph}); for a model trained from scratch, a graph
     *                 with only the input
     * @param from     the tensor the trained network reads
     * @param metadata entries added to the model's metadata (class names, preprocessing, provenance)
     */
    public static Model export(Model base, Graph frozen, String from, Network net, List<String> classes,
                               Map<String, String> metadata) {
        Graph.Builder g = frozen.toBuilder().clearOutputs().name(base == null ? "edgerun_trained" : frozen.name() + "_finetuned");
        GraphSink sink = new GraphSink(g, freshPrefix(frozen));
        String logits = net.export(sink, from);
        String probs = sink.node("Softmax", List.of(logits), Attribute.of("axis", 1L));
        String output = unused(frozen, OUTPUT);
        g.node(dev.edgerun.runtime.ir.Node.builder("Identity").name(output + "_identity").inputs(probs).outputs(output).build());
        Value input = frozen.requiredInputs().get(0);
        long batch = input.shape().rank() > 0 ? input.shape().dim(0) : -1;
        String symbol = input.shape().rank() > 0 ? input.shape().symbol(0) : null;
        Shape outShape = Shape.symbolic(new long[] {batch, classes.size()}, new String[] {symbol == null ? "batch" : symbol, null});
        g.output(Value.tensor(output, DType.FLOAT, outShape));
        Model.Builder m = base != null ? base.toBuilder() : Model.builder().opset(17).irVersion(8);
        m.graph(g.build()).producer("edgerun-finetune", "0.1").owner(sink.owner());
        m.metadata(Labels.KEY, Labels.encode(classes));
        metadata.forEach(m::metadata);
        return m.build();
    }
}
