package dev.edgerun.runtime;

import dev.edgerun.runtime.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Checks the inputs of a run against a model's declared inputs; shared by every engine. */
public final class Inputs {
    private Inputs() {}

    /**
     * Fails with an {@link InvalidInputException} naming the problem when {@code given} has an
     * unknown name, misses a required input, or has a tensor whose dtype or known dimensions
     * differ from the declaration. Symbolic dimensions accept any size.
     */
    public static void validate(List<Value> expected, Map<String, Tensor> given) {
        List<String> names = new ArrayList<>();
        for (Value v : expected) names.add(v.name());
        for (String name : given.keySet()) {
            if (!names.contains(name)) {
                throw new InvalidInputException("unknown input '" + name + "'; expected one of " + names);
            }
        }
        for (Value v : expected) {
            Tensor t = given.get(v.name());
            if (t == null) {
                throw new InvalidInputException("missing input '" + v.name() + "' (" + v.type() + "); given "
                        + given.keySet());
            }
            checkTensor(v, t);
        }
    }

    private static void checkTensor(Value v, Tensor t) {
        if (t.isClosed()) throw new InvalidInputException("input '" + v.name() + "' is a closed tensor");
        if (v.dtype() != null && v.dtype() != t.dtype()) {
            throw new InvalidInputException("input '" + v.name() + "': expected dtype " + v.dtype().onnxName()
                    + ", given " + t.dtype().onnxName());
        }
        Shape want = v.shape();
        if (want == null) return;
        Shape got = t.shape();
        boolean ok = want.rank() == got.rank();
        for (int i = 0; ok && i < want.rank(); i++) {
            ok = want.dim(i) < 0 || want.dim(i) == got.dim(i);
        }
        if (!ok) {
            throw new InvalidInputException("input '" + v.name() + "': expected shape " + want + ", given " + got);
        }
    }
}
