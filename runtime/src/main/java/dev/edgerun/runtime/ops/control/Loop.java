package dev.edgerun.runtime.ops.control;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ResourceLimitException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.ops.Subgraph;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * ONNX Loop (opsets 1, 11, 13, 16, 19, 21, 23, 24). Inputs: M (trip count, optional), cond
 * (optional), then N loop-carried values (tensors, sequences or optionals). The body takes
 * (iteration_num, cond, N carried) and gives (cond, N carried, K scan outputs). Outputs: the N
 * final carried values, then the K scan outputs stacked along a new first axis.
 */
public final class Loop implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        Graph body = ctx.attrGraph("body");
        int carried = ctx.inputCount() - 2;
        if (carried < 0) throw ctx.error("Loop needs inputs M and cond (possibly empty), got " + ctx.inputCount());
        if (body.inputs().size() != carried + 2) {
            throw ctx.error("body must have " + (carried + 2) + " inputs (iteration_num, cond, " + carried
                    + " carried), got " + body.inputs().size());
        }
        int scans = body.outputs().size() - 1 - carried;
        if (scans < 0) throw ctx.error("body must have at least " + (carried + 1) + " outputs, got " + body.outputs().size());
        Subgraph program = ctx.compileSubgraph(body);
        String[] inputNames = new String[body.inputs().size()];
        for (int i = 0; i < inputNames.length; i++) inputNames[i] = body.inputs().get(i).name();
        List<ValueType> types = new ArrayList<>();
        for (int i = 0; i < carried + scans; i++) {
            ValueType declared = body.outputs().get(1 + i).type();
            types.add(AxisSlices.dataDependent(declared));
        }
        DType[] scanTypes = new DType[scans];
        for (int k = 0; k < scans; k++) {
            ValueType declared = body.outputs().get(1 + carried + k).type();
            scanTypes[k] = declared instanceof ValueType.TensorType t ? t.dtype() : null;
        }
        boolean hasM = ctx.hasInput(0);
        boolean hasCond = ctx.hasInput(1);
        long maxIterations = Long.getLong(MAX_ITERATIONS_PROPERTY, DEFAULT_MAX_ITERATIONS);
        return Kernel.of(types, rc -> run(rc, program, inputNames, carried, scans, scanTypes, hasM, hasCond,
                maxIterations));
    }

    /**
     * Iterations one Loop may run before it is stopped, so that a model whose condition never turns
     * false (legal ONNX, but from an untrusted file a hang) fails instead of running forever.
     */
    static final String MAX_ITERATIONS_PROPERTY = "edgerun.loop.maxIterations";
    static final long DEFAULT_MAX_ITERATIONS = 1_000_000L;

    private static void run(RunContext rc, Subgraph body, String[] names, int carried, int scans, DType[] scanTypes,
                            boolean hasM, boolean hasCond, long maxIterations) {
        long tripCount = hasM ? rc.input(0).getAsLong(0) : Long.MAX_VALUE;
        boolean cond = !hasCond || rc.input(1).getAsLong(0) != 0;
        Object[] state = new Object[carried];
        for (int j = 0; j < carried; j++) state[j] = rc.inputValue(2 + j);
        List<List<Tensor>> scanned = new ArrayList<>();
        for (int k = 0; k < scans; k++) scanned.add(new ArrayList<>());
        Map<String, Object> inputs = new HashMap<>();
        for (long i = 0; i < tripCount && cond; i++) {
            if (i == maxIterations) {
                throw new ResourceLimitException("Loop stopped after " + maxIterations + " iterations (trip count "
                        + (hasM ? tripCount : "none") + "); a model that loops longer must raise the system property "
                        + MAX_ITERATIONS_PROPERTY);
            }
            Tensor iteration = rc.allocateTemp(DType.INT64, Shape.SCALAR);
            iteration.data().set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0, i);
            Tensor condIn = rc.allocateTemp(DType.BOOL, Shape.SCALAR);
            condIn.data().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 1);
            inputs.clear();
            inputs.put(names[0], iteration);
            inputs.put(names[1], condIn);
            for (int j = 0; j < carried; j++) inputs.put(names[2 + j], state[j]);
            List<Object> out = rc.runSubgraph(body, inputs);
            cond = ((Tensor) out.get(0)).getAsLong(0) != 0;
            for (int j = 0; j < carried; j++) state[j] = out.get(1 + j);
            for (int k = 0; k < scans; k++) scanned.get(k).add((Tensor) out.get(1 + carried + k));
        }
        for (int j = 0; j < carried; j++) rc.setOutputValue(j, AxisSlices.owned(rc, state[j]));
        for (int k = 0; k < scans; k++) {
            List<Tensor> parts = scanned.get(k);
            Shape partShape = parts.isEmpty() ? Shape.SCALAR : parts.get(0).shape();
            DType dtype = parts.isEmpty() ? (scanTypes[k] == null ? DType.FLOAT : scanTypes[k]) : parts.get(0).dtype();
            for (Tensor p : parts) {
                if (!p.shape().sameDims(partShape)) {
                    throw new dev.edgerun.runtime.EdgerunException("Loop: scan output " + k
                            + " changes shape between iterations: " + partShape + " then " + p.shape());
                }
            }
            Tensor out = rc.allocateOutput(carried + k, dtype, AxisSlices.with(partShape, 0, parts.size()));
            AxisSlices.stack(parts, 0, false, out);
        }
    }
}
