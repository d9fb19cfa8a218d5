package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Function;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Replaces calls of model-local functions ({@link Model#functions()}) by the function bodies:
 * values inside a body are renamed with a prefix unique to the call, formal inputs and outputs
 * become the call's actual names, and attribute references take the call's attribute (or the
 * function's default). Subgraphs are processed too. Names inside a function body's own subgraphs
 * are not renamed.
 */
final class FunctionInliner {
    private static final int MAX_DEPTH = 32;

    private final Map<String, Function> functions = new HashMap<>();
    private int calls;

    private FunctionInliner(List<Function> fs) {
        for (Function f : fs) functions.put(key(f.domain(), f.name()), f);
    }

    static Graph inline(Model model) {
        if (model.functions().isEmpty()) return model.graph();
        return new FunctionInliner(model.functions()).graph(model.graph(), 0);
    }

    private static String key(String domain, String name) {
        return (domain == null || domain.equals("ai.onnx") ? "" : domain) + "::" + name;
    }

    private Graph graph(Graph g, int depth) {
        List<Node> out = new ArrayList<>();
        for (Node n : g.nodes()) expand(n, out, depth);
        return g.toBuilder().clearNodes().nodes(out).build();
    }

    private void expand(Node n, List<Node> out, int depth) {
        Function f = functions.get(key(n.domain(), n.opType()));
        if (f == null) {
            out.add(withInlinedSubgraphs(n, depth));
            return;
        }
        if (depth >= MAX_DEPTH) {
            throw new ModelFormatException("function '" + f.name() + "' called from node '" + n.label()
                    + "' nests deeper than " + MAX_DEPTH + " calls (recursive functions are not allowed)");
        }
        String prefix = (n.name().isEmpty() ? f.name() : n.name()) + "#" + (calls++) + "/";
        Map<String, String> rename = new HashMap<>();
        for (int i = 0; i < f.inputs().size(); i++) {
            rename.put(f.inputs().get(i), i < n.inputs().size() ? n.inputs().get(i) : "");
        }
        for (int i = 0; i < f.outputs().size(); i++) {
            String actual = i < n.outputs().size() ? n.outputs().get(i) : "";
            rename.put(f.outputs().get(i), actual.isEmpty() ? prefix + f.outputs().get(i) : actual);
        }
        for (Node body : f.nodes()) {
            Node.Builder b = Node.builder(body.opType()).name(prefix + body.name()).domain(body.domain());
            for (String in : body.inputs()) b.inputs(mapName(in, rename, prefix));
            for (String o : body.outputs()) b.outputs(mapName(o, rename, prefix));
            for (Attribute a : body.attributes().values()) {
                Attribute resolved = resolve(a, n, f);
                if (resolved != null) b.attribute(resolved);
            }
            expand(b.build(), out, depth + 1);
        }
    }

    private static String mapName(String name, Map<String, String> rename, String prefix) {
        if (name.isEmpty()) return "";
        String r = rename.get(name);
        return r != null ? r : prefix + name;
    }

    /** An attribute of a body node with references to the call's attributes substituted; null to drop it. */
    private static Attribute resolve(Attribute a, Node call, Function f) {
        if (a.refAttrName().isEmpty()) return a;
        Attribute given = call.attribute(a.refAttrName());
        if (given == null) {
            for (Attribute d : f.attributeDefaults()) if (d.name().equals(a.refAttrName())) given = d;
        }
        if (given == null) return null;
        return new Attribute(a.name(), given.kind(), given.value(), "", a.docString());
    }

    private Node withInlinedSubgraphs(Node n, int depth) {
        boolean any = false;
        for (Attribute a : n.attributes().values()) {
            if (a.kind() == Attribute.Kind.GRAPH || a.kind() == Attribute.Kind.GRAPHS) any = true;
        }
        if (!any) return n;
        Node.Builder b = n.toBuilder();
        for (Attribute a : n.attributes().values()) {
            if (a.kind() == Attribute.Kind.GRAPH) {
                b.attribute(new Attribute(a.name(), a.kind(), graph(a.asGraph(), depth), "", a.docString()));
            } else if (a.kind() == Attribute.Kind.GRAPHS) {
                List<Graph> gs = new ArrayList<>();
                for (Graph g : a.asGraphs()) gs.add(graph(g, depth));
                b.attribute(Attribute.ofGraphs(a.name(), gs));
            }
        }
        return b.build();
    }
}
