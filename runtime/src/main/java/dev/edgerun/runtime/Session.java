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

    @Override
    void close();
}
