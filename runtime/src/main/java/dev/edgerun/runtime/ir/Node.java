package dev.edgerun.runtime.ir;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operator application. Input names may be empty strings for omitted optional inputs, as in
 * ONNX. {@code domain} is empty for the default {@code ai.onnx} domain.
 */
public record Node(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                   Map<String, Attribute> attributes, String docString) {

    public Node {
        if (opType == null || opType.isEmpty()) throw new IllegalArgumentException("node '" + name + "' has no op type");
        name = name == null ? "" : name;
        domain = domain == null || domain.equals("ai.onnx") ? "" : domain;
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        attributes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
        docString = docString == null ? "" : docString;
    }

    public static Builder builder(String opType) {
        return new Builder(opType);
    }

    public Attribute attribute(String attrName) {
        return attributes.get(attrName);
    }

    /** A readable label for messages: the name when there is one, else op type and first output. */
    public String label() {
        if (!name.isEmpty()) return name;
        return opType + (outputs.isEmpty() ? "" : "->" + outputs.get(0));
    }

    public Builder toBuilder() {
        Builder b = new Builder(opType).name(name).domain(domain).docString(docString);
        b.inputs.addAll(inputs);
        b.outputs.addAll(outputs);
        b.attributes.putAll(attributes);
        return b;
    }

    public static final class Builder {
        private String name = "";
        private final String opType;
        private String domain = "";
        private final List<String> inputs = new ArrayList<>();
        private final List<String> outputs = new ArrayList<>();
        private final Map<String, Attribute> attributes = new LinkedHashMap<>();
        private String docString = "";

        private Builder(String opType) {
            this.opType = opType;
        }

        public Builder name(String n) { this.name = n; return this; }
        public Builder domain(String d) { this.domain = d; return this; }
        public Builder docString(String d) { this.docString = d; return this; }
        public Builder inputs(String... names) { inputs.addAll(List.of(names)); return this; }
        public Builder inputs(List<String> names) { inputs.addAll(names); return this; }
        public Builder outputs(String... names) { outputs.addAll(List.of(names)); return this; }
        public Builder outputs(List<String> names) { outputs.addAll(names); return this; }
        public Builder attribute(Attribute a) { attributes.put(a.name(), a); return this; }
        public Builder attribute(String n, long v) { return attribute(Attribute.of(n, v)); }
        public Builder attribute(String n, float v) { return attribute(Attribute.of(n, v)); }
        public Builder attribute(String n, String v) { return attribute(Attribute.of(n, v)); }
        public Builder attribute(String n, long[] v) { return attribute(Attribute.of(n, v)); }
        public Builder attribute(String n, float[] v) { return attribute(Attribute.of(n, v)); }
        public Builder attribute(String n, Graph v) { return attribute(Attribute.of(n, v)); }
        public Builder attribute(String n, dev.edgerun.runtime.Tensor v) { return attribute(Attribute.of(n, v)); }

        public Node build() {
            return new Node(name, opType, domain, inputs, outputs, attributes, docString);
        }
    }
}
