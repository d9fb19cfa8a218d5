package dev.edgerun.runtime;

import dev.edgerun.runtime.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * A compiled model, ready to run. Sessions are safe for concurrent {@link #run} calls from several
 * threads. Closing a session frees what it planned and owns; it fails every later call.
 */
public interface Session extends AutoCloseable {

    /** The engine that compiled this session. */
    String engineName();

    /** What the session actually runs on (provider or kernel choice), for logs and {@code inspect}. */
    String description();

    /** The inputs a caller must feed, in model order. */
    List<Value> inputs();

    List<Value> outputs();

    /**
     * Runs the model. Inputs are borrowed for the duration of the call; the returned
     * {@link RunResult} owns the output tensors and must be closed.
     *
     * @throws InvalidInputException for an unknown, missing or mistyped input
     */
    RunResult run(Map<String, Tensor> inputs);

    /**
     * Runs the model and writes the outputs named in {@code outputs} into the caller's tensors,
     * which must have each output's dtype and shape; outputs not named are computed but not
     * returned. The default runs {@link #run(Map)} and copies; the native engine writes without
     * allocating on the Java heap once the input shapes have been planned.
     *
     * @throws InvalidInputException for an unknown, missing or mistyped input, or an output tensor
     *     with an unknown name or the wrong dtype or shape (naming expected and given)
     */
    default void run(Map<String, Tensor> inputs, Map<String, Tensor> outputs) {
        Outputs.checkNames(outputs(), outputs);
        try (RunResult r = run(inputs)) {
            for (Map.Entry<String, Tensor> e : outputs.entrySet()) {
                Outputs.copyInto(e.getKey(), r.get(e.getKey()), e.getValue());
            }
        }
    }

    @Override
    void close();
}
