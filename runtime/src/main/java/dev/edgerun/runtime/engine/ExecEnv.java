package dev.edgerun.runtime.engine;

import java.util.Map;

/**
 * What every compiled graph of one session shares: the model's opset imports, where operators
 * come from, the thread pool and the planning options.
 */
final class ExecEnv {
    static final String ENGINE = "native";

    final Map<String, Long> opsets;
    final OperatorSource operators;
    final WorkerPool pool;
    final long memoryLimit;   // bytes of activation arena a plan may use; 0 = unlimited
    final boolean foldConstants;
    final boolean profile;    // time every step (SessionOptions provider option profile=true)

    ExecEnv(Map<String, Long> opsets, OperatorSource operators, WorkerPool pool, long memoryLimit,
            boolean foldConstants, boolean profile) {
        this.opsets = opsets;
        this.operators = operators;
        this.pool = pool;
        this.memoryLimit = memoryLimit;
        this.foldConstants = foldConstants;
        this.profile = profile;
    }

    int threads() {
        return pool.threads();
    }

    /** The opset the model imports for {@code domain}; 1 for a domain it does not import. */
    long opset(String domain) {
        if (domain.isEmpty() || domain.equals("ai.onnx")) {
            Long v = opsets.get("");
            if (v == null) v = opsets.get("ai.onnx");
            return v == null ? 1 : v;
        }
        Long v = opsets.get(domain);
        return v == null ? 1 : v;
    }
}
