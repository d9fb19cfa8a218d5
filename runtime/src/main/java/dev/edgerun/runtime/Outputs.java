package dev.edgerun.runtime;

import dev.edgerun.runtime.ir.Value;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks and fills caller-provided output tensors ({@link Session#run(Map, Map)}); shared by every
 * engine. The success paths allocate nothing on the Java heap.
 */
public final class Outputs {
    private Outputs() {}

    /** Fails with an {@link InvalidInputException} when {@code given} names a tensor the model does not output. */
    public static void checkNames(List<Value> declared, Map<String, Tensor> given) {
        int known = 0;
        for (int i = 0; i < declared.size(); i++) {
            if (given.containsKey(declared.get(i).name())) known++;
        }
        if (known == given.size()) return;
        List<String> names = new ArrayList<>();
        for (Value v : declared) names.add(v.name());
        for (String name : given.keySet()) {
            if (!names.contains(name)) {
                throw new InvalidInputException("unknown output '" + name + "'; expected one of " + names);
            }
        }
    }

    /**
     * Copies {@code produced} into the caller's {@code target} after checking that it is open and
     * has the same dtype and shape.
     */
    public static void copyInto(String name, Tensor produced, Tensor target) {
        if (target == null) throw new InvalidInputException("output '" + name + "': the given tensor is null");
        if (target.isClosed()) throw new InvalidInputException("output '" + name + "' is a closed tensor");
        if (produced.dtype() != target.dtype()) {
            throw new InvalidInputException("output '" + name + "': expected dtype " + produced.dtype().onnxName()
                    + ", given " + target.dtype().onnxName());
        }
        if (!produced.shape().sameDims(target.shape())) {
            throw new InvalidInputException("output '" + name + "': expected shape " + produced.shape()
                    + ", given " + target.shape());
        }
        if (produced.dtype() == DType.STRING) {
            throw new InvalidInputException("output '" + name + "' is a STRING tensor, which cannot be written into a"
                    + " caller's tensor; use Session.run(Map)");
        }
        MemorySegment.copy(produced.data(), 0, target.data(), 0, produced.byteSize());
    }
}
