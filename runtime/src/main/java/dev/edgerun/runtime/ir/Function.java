package dev.edgerun.runtime.ir;

import java.util.List;
import java.util.Map;

/** A model-local function (ONNX {@code FunctionProto}): a named, reusable body of nodes. */
public record Function(String name, String domain, List<String> inputs, List<String> outputs,
                       List<String> attributeNames, List<Attribute> attributeDefaults, List<Node> nodes,
                       Map<String, Long> opsetImports, List<Value> valueInfo, String docString) {
    public Function {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        attributeNames = List.copyOf(attributeNames);
        attributeDefaults = List.copyOf(attributeDefaults);
        nodes = List.copyOf(nodes);
        opsetImports = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(opsetImports));
        valueInfo = List.copyOf(valueInfo);
        docString = docString == null ? "" : docString;
    }
}
