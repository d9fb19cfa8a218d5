package dev.edgerun.finetune;

import dev.edgerun.finetune.nn.Layer;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.ir.ValueType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a base model is cut: the tensor the new head reads ({@link #cut}), found automatically as the
 * input of the final classifier Gemm/MatMul unless given, and, with {@code --unfreeze K}, the chain
 * of nodes before it back to the K-th last weighted layer, which train too. Everything before
 * {@link #frozen} is the frozen backbone whose output is computed once and cached.
 *
 * @param cut        the tensor the head reads
 * @param automatic  whether {@code cut} was found rather than given
 * @param frozen     the output of the frozen part (a graph input when everything trains)
 * @param trainable  backbone nodes from {@code frozen} to {@code cut}, in order
 * @param unfrozen   weighted layers among {@code trainable}
 */
public record CutPlan(String cut, boolean automatic, String frozen, List<Node> trainable, int unfrozen) {

    /** The input of the last Gemm/MatMul with a constant weight, or null when the model has none. */
    public static String classifierInput(Graph g) {
        for (int i = g.nodes().size() - 1; i >= 0; i--) {
            Node n = g.nodes().get(i);
            if ((n.opType().equals("Gemm") || n.opType().equals("MatMul")) && n.domain().isEmpty()
                    && n.inputs().size() > 1 && g.initializers().containsKey(n.inputs().get(1))) {
                return n.inputs().get(0);
            }
        }
        return null;
    }

    /** Plans the cut at {@code cut} (null: automatic) with the last {@code unfreeze} weighted layers trainable. */
    public static CutPlan plan(Model model, String cut, int unfreeze) {
        Graph g = model.graph();
        boolean automatic = cut == null;
        String at = cut;
        if (at == null) at = classifierInput(g);
        if (at == null) at = g.outputs().get(0).name(); // no classifier: the whole model is the backbone
        Map<String, Node> producer = producers(g);
        String named = at;
        boolean isInput = g.requiredInputs().stream().anyMatch(v -> v.name().equals(named));
        if (!producer.containsKey(at) && !isInput) {
            throw new FinetuneException("cut tensor '" + at + "' is not produced by any node of the model; "
                    + "name a node output (edgerun inspect lists them) or leave --cut out");
        }
        List<Node> trainable = new ArrayList<>();
        String t = at;
        int weighted = 0;
        while (weighted < unfreeze && producer.containsKey(t)) {
            Node p = producer.get(t);
            List<String> data = LayerImporter.dataInputs(p, g.initializers());
            if (data.size() != 1) {
                throw new FinetuneException("cannot unfreeze through node '" + p.label() + "' (" + p.opType() + "): it reads "
                        + data.size() + " activations; training goes through single-input chains only");
            }
            trainable.addFirst(p);
            if (LayerImporter.WEIGHTED.contains(p.opType())) weighted++;
            t = data.get(0);
        }
        return new CutPlan(at, automatic, t, trainable, weighted);
    }

    /** The trainable backbone nodes as layers (Dropout and Identity dropped). */
    public List<Layer> layers(Model model) {
        List<Layer> layers = new ArrayList<>();
        for (Node n : trainable) {
            Layer l = LayerImporter.toLayer(n, model.graph().initializers(), model.onnxOpset());
            if (l != null) layers.add(l);
        }
        return layers;
    }

    /** Whether the frozen part is empty (the head, or the whole network, reads the model input). */
    public boolean frozenIsInput(Model model) {
        return model.graph().requiredInputs().stream().anyMatch(v -> v.name().equals(frozen));
    }

    /** The nodes of {@code model} that compute {@link #frozen}, with their initializers and the inputs they read. */
    public Graph frozenGraph(Model model) {
        Graph g = model.graph();
        Set<String> needed = new HashSet<>(Set.of(frozen));
        List<Node> kept = new ArrayList<>();
        for (int i = g.nodes().size() - 1; i >= 0; i--) {
            Node n = g.nodes().get(i);
            if (n.outputs().stream().noneMatch(needed::contains)) continue;
            kept.addFirst(n);
            for (String in : n.inputs()) if (!in.isEmpty()) needed.add(in);
            for (var a : n.attributes().values()) if (a.kind() == dev.edgerun.runtime.ir.Attribute.Kind.GRAPH) needed.addAll(outerNames(a.asGraph()));
        }
        Graph.Builder b = Graph.builder(g.name()).docString(g.docString()).nodes(kept);
        for (Value v : g.inputs()) if (needed.contains(v.name()) && !g.initializers().containsKey(v.name())) b.input(v);
        Map<String, Tensor> inits = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) if (needed.contains(e.getKey())) inits.put(e.getKey(), e.getValue());
        inits.forEach(b::initializer);
        for (Value v : g.valueInfo()) if (needed.contains(v.name())) b.valueInfo(v);
        Value out = g.valueInfo().stream().filter(v -> v.name().equals(frozen)).findFirst()
                .orElse(new Value(frozen, new ValueType.Unknown(), ""));
        return b.output(out).build();
    }

    /** A model computing only {@link #frozen}: what feature extraction runs. */
    public Model frozenModel(Model model) {
        return model.toBuilder().graph(frozenGraph(model)).build();
    }

    private static Set<String> outerNames(Graph sub) {
        Set<String> s = new HashSet<>();
        for (Node n : sub.nodes()) s.addAll(n.inputs());
        return s;
    }

    private static Map<String, Node> producers(Graph g) {
        Map<String, Node> m = new LinkedHashMap<>();
        for (Node n : g.nodes()) for (String o : n.outputs()) m.put(o, n);
        return m;
    }
}
