package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.OperatorRegistry;

/** Where the executor looks operators up: the registry in production, a small table in executor tests. */
interface OperatorSource {

    /** The operator for a node, or null when there is none for this opset. */
    Operator find(String domain, String opType, long opset);

    /** Why {@link #find} returned null, for the unsupported-operator report. */
    String whyMissing(String domain, String opType, long opset);

    /** The production source: {@link OperatorRegistry}. */
    static OperatorSource registry() {
        return new OperatorSource() {
            @Override
            public Operator find(String domain, String opType, long opset) {
                OperatorRegistry.Entry e = OperatorRegistry.find(domain, opType, opset);
                return e == null ? null : e.operator();
            }

            @Override
            public String whyMissing(String domain, String opType, long opset) {
                if (!OperatorRegistry.knows(domain, opType)) return "not implemented by the native engine";
                OperatorRegistry.Entry any = OperatorRegistry.find(domain, opType, Long.MAX_VALUE);
                return "opset " + opset + " is older than the oldest version implemented ("
                        + (any == null ? "?" : any.minVersion()) + ")";
            }
        };
    }
}
