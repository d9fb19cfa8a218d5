package dev.edgerun.devices;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Inputs;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A model compiled by ONNX Runtime. Runs may happen concurrently (ONNX Runtime sessions are
 * thread-safe); {@link #close()} waits for runs in flight.
 *
 * <p>When every output has a static shape and a type ONNX Runtime's Java API can create, the
 * outputs are <em>pinned</em>: Edgerun allocates them, in one arena per run that the
 * {@link RunResult} owns, and ONNX Runtime writes into them, so results are not copied. Otherwise
 * each output is copied into a new owned tensor.
 */
final class OnnxRuntimeSession implements Session {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String model;
    private final String description;
    private final List<Value> inputs;
    private final List<Value> outputs;
    private final Map<String, TensorInfo> pinnedOutputs; // null when results are copied
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    OnnxRuntimeSession(OrtEnvironment env, OrtSession session, Model ir, String model, String description)
            throws OrtException {
        this.env = env;
        this.session = session;
        this.model = model;
        this.description = description;
        this.inputs = ir.graph().requiredInputs();
        this.outputs = ir.graph().outputs();
        this.pinnedOutputs = pinnable(session.getOutputInfo());
    }

    @Override
    public String engineName() {
        return OnnxRuntimeEngine.NAME;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public List<Value> inputs() {
        return inputs;
    }

    @Override
    public List<Value> outputs() {
        return outputs;
    }

    @Override
    public RunResult run(Map<String, Tensor> given) {
        lock.readLock().lock();
        try {
            if (closed) throw new IllegalStateException("session is closed");
            Inputs.validate(inputs, given);
            return runValidated(given);
        } finally {
            lock.readLock().unlock();
        }
    }

    private RunResult runValidated(Map<String, Tensor> given) {
        Map<String, OnnxTensor> ortInputs = new LinkedHashMap<>();
        Map<String, Tensor> results = new LinkedHashMap<>();
        Map<String, OnnxTensor> ortOutputs = new LinkedHashMap<>();
        // Pinned outputs of one run share one arena the result owns: one free per run, not per tensor.
        Arena arena = pinnedOutputs != null ? Arena.ofShared() : null;
        try {
            for (var e : given.entrySet()) ortInputs.put(e.getKey(), OrtTensors.toOrt(env, e.getKey(), e.getValue()));
            if (arena != null) {
                allocatePinned(arena, results, ortOutputs);
                session.run(ortInputs, ortOutputs).close(); // the result does not own pinned values
            } else {
                try (OrtSession.Result r = session.run(ortInputs)) {
                    for (Map.Entry<String, OnnxValue> e : r) results.put(e.getKey(), OrtTensors.copyOf(e.getKey(), e.getValue()));
                }
            }
            return new RunResult(results, arena);
        } catch (OrtException e) {
            release(results, arena);
            throw OrtErrors.atRun(model, e);
        } catch (RuntimeException e) {
            release(results, arena);
            throw e;
        } finally {
            OnnxValue.close(ortInputs);
            OnnxValue.close(ortOutputs);
        }
    }

    /** Output tensors borrowing {@code arena}, each wrapped for ONNX Runtime to write into. */
    private void allocatePinned(Arena arena, Map<String, Tensor> results, Map<String, OnnxTensor> ortOutputs)
            throws OrtException {
        for (var e : pinnedOutputs.entrySet()) {
            DType dtype = OrtTensors.dtypeOf(e.getValue());
            Shape shape = Shape.of(e.getValue().getShape());
            long bytes = dtype.storageBytes(shape.elementCount());
            MemorySegment memory = arena.allocate(Math.max(bytes, 1), Tensor.ALIGNMENT).asSlice(0, bytes);
            Tensor t = Tensor.wrap(dtype, shape, memory);
            results.put(e.getKey(), t);
            ortOutputs.put(e.getKey(), OrtTensors.toOrt(env, e.getKey(), t));
        }
    }

    private static void release(Map<String, Tensor> results, Arena arena) {
        results.values().forEach(Tensor::close);
        if (arena != null) arena.close();
    }

    /** Output infos when every output can be pinned, else null. */
    private static Map<String, TensorInfo> pinnable(Map<String, NodeInfo> outputs) {
        Map<String, TensorInfo> r = new LinkedHashMap<>();
        for (var e : outputs.entrySet()) {
            if (!(e.getValue().getInfo() instanceof TensorInfo info)) return null;
            DType d = OrtTensors.dtypeOf(info);
            if (d == DType.STRING || !OrtTensors.CREATABLE.contains(d)) return null;
            for (long dim : info.getShape()) if (dim < 0) return null;
            r.put(e.getKey(), info);
        }
        return r;
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            session.close();
        } catch (OrtException e) {
            throw new EdgerunException(model + ": closing the ONNX Runtime session failed: " + e.getMessage(), e);
        } finally {
            lock.writeLock().unlock();
        }
    }
}
