package dev.edgerun.runtime.ops.control;

import dev.edgerun.runtime.EdgerunException;
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
 * ONNX Scan. Opset 9 and later: inputs are N initial states then M scan inputs, each sliced along
 * its {@code scan_input_axes} entry (backwards where {@code scan_input_directions} is 1); the
 * body maps (N states, M slices) to (N states, K scan outputs), which are stacked along
 * {@code scan_output_axes} (reversed where {@code scan_output_directions} is 1). Opset 8: a
 * first input {@code sequence_lens} and a leading batch axis on every input and output; each
 * batch item is scanned on its own along axis 1, outputs past a short sequence stay zero.
 */
public final class Scan implements Operator {

    /** What one node's scans share. */
    private record Spec(Subgraph body, String[] names, int states, int scanInputs, int scanOutputs,
                        int[] inAxes, boolean[] inReversed, int[] outAxes, boolean[] outReversed) {}

    @Override
    public Kernel prepare(NodeContext ctx) {
        boolean batched = ctx.opset() < 9;
        Graph graph = ctx.attrGraph("body");
        int first = batched ? 1 : 0;
        int scanInputs = (int) ctx.attrInt("num_scan_inputs", -1);
        int states = ctx.inputCount() - first - scanInputs;
        if (scanInputs < 1 || states < 0) throw ctx.error("num_scan_inputs " + scanInputs + " does not fit " + ctx.inputCount() + " inputs");
        int scanOutputs = graph.outputs().size() - states;
        if (graph.inputs().size() != states + scanInputs || scanOutputs < 0) {
            throw ctx.error("body must have " + (states + scanInputs) + " inputs and at least " + states
                    + " outputs, got " + graph.inputs().size() + " and " + graph.outputs().size());
        }
        long[] inAxesAttr = ctx.attrInts("scan_input_axes", new long[scanInputs]);
        long[] inDirs = ctx.attrInts(batched ? "directions" : "scan_input_directions", new long[scanInputs]);
        long[] outAxesAttr = ctx.attrInts("scan_output_axes", new long[scanOutputs]);
        long[] outDirs = ctx.attrInts("scan_output_directions", new long[scanOutputs]);
        int[] inAxes = new int[scanInputs];
        boolean[] inReversed = new boolean[scanInputs];
        for (int m = 0; m < scanInputs; m++) {
            int rank = ctx.inputShape(first + states + m).rank() - (batched ? 1 : 0);
            inAxes[m] = (int) (inAxesAttr[m] < 0 ? inAxesAttr[m] + rank : inAxesAttr[m]);
            if (inAxes[m] < 0 || inAxes[m] >= rank) throw ctx.error("scan_input_axes[" + m + "] out of range for rank " + rank);
            inReversed[m] = inDirs[m] == 1;
        }
        int[] outAxes = new int[scanOutputs];
        boolean[] outReversed = new boolean[scanOutputs];
        for (int k = 0; k < scanOutputs; k++) {
            outAxes[k] = (int) outAxesAttr[k]; // negative ones resolved at run time against the output rank
            outReversed[k] = outDirs[k] == 1;
        }
        String[] names = new String[graph.inputs().size()];
        for (int i = 0; i < names.length; i++) names[i] = graph.inputs().get(i).name();
        Spec spec = new Spec(ctx.compileSubgraph(graph), names, states, scanInputs, scanOutputs, inAxes, inReversed, outAxes, outReversed);
        List<ValueType> types = new ArrayList<>();
        for (int i = 0; i < states + scanOutputs; i++) types.add(AxisSlices.dataDependent(graph.outputs().get(i).type()));
        return Kernel.of(types, rc -> {
            if (batched) runBatched(rc, spec);
            else runUnbatched(rc, spec);
        });
    }

    private static void runUnbatched(RunContext rc, Spec s) {
        Tensor[] states = new Tensor[s.states];
        Tensor[] scans = new Tensor[s.scanInputs];
        for (int j = 0; j < s.states; j++) states[j] = rc.input(j);
        for (int m = 0; m < s.scanInputs; m++) scans[m] = rc.input(s.states + m);
        long length = scans[0].shape().dim(s.inAxes[0]);
        List<List<Tensor>> outs = scan(rc, s, states, scans, length);
        for (int j = 0; j < s.states; j++) rc.setOutputValue(j, AxisSlices.owned(rc, states[j]));
        for (int k = 0; k < s.scanOutputs; k++) {
            List<Tensor> parts = outs.get(k);
            Shape part = parts.get(0).shape();
            int axis = s.outAxes[k] < 0 ? s.outAxes[k] + part.rank() + 1 : s.outAxes[k];
            Tensor out = rc.allocateOutput(s.states + k, parts.get(0).dtype(), AxisSlices.with(part, axis, parts.size()));
            AxisSlices.stack(parts, axis, s.outReversed[k], out);
        }
    }

    /** Opset 8: every input has a batch axis 0 and scans along axis 1; items run one by one. */
    private static void runBatched(RunContext rc, Spec s) {
        Tensor lens = rc.input(0);
        Tensor first = rc.input(1 + s.states);
        long batch = first.shape().dim(0);
        long maxLength = first.shape().dim(1);
        List<List<Tensor>> finalStates = new ArrayList<>();
        List<List<Tensor>> scanOuts = new ArrayList<>();
        for (int i = 0; i < s.states + s.scanOutputs; i++) {
            finalStates.add(new ArrayList<>());
            scanOuts.add(new ArrayList<>());
        }
        for (long b = 0; b < batch; b++) {
            Tensor[] states = new Tensor[s.states];
            Tensor[] scans = new Tensor[s.scanInputs];
            for (int j = 0; j < s.states; j++) states[j] = item(rc, rc.input(1 + j), b);
            for (int m = 0; m < s.scanInputs; m++) scans[m] = item(rc, rc.input(1 + s.states + m), b);
            long length = lens == null ? maxLength : lens.getAsLong(b);
            List<List<Tensor>> outs = scan(rc, s, states, scans, length);
            for (int j = 0; j < s.states; j++) finalStates.get(j).add(states[j]);
            for (int k = 0; k < s.scanOutputs; k++) {
                List<Tensor> parts = outs.get(k);
                if (parts.isEmpty()) throw new EdgerunException("Scan: batch item " + b + " has an empty sequence");
                Tensor padded = rc.allocateTemp(parts.get(0).dtype(), AxisSlices.with(parts.get(0).shape(), 0, maxLength));
                AxisSlices.stack(parts, 0, false, padded); // slices past length stay zero
                scanOuts.get(k).add(padded);
            }
        }
        for (int j = 0; j < s.states; j++) {
            Tensor one = finalStates.get(j).get(0);
            Tensor out = rc.allocateOutput(j, one.dtype(), AxisSlices.with(one.shape(), 0, batch));
            AxisSlices.stack(finalStates.get(j), 0, false, out);
        }
        for (int k = 0; k < s.scanOutputs; k++) {
            Tensor one = scanOuts.get(k).get(0);
            Tensor out = rc.allocateOutput(s.states + k, one.dtype(), AxisSlices.with(one.shape(), 0, batch));
            AxisSlices.stack(scanOuts.get(k), 0, false, out);
        }
    }

    private static Tensor item(RunContext rc, Tensor t, long b) {
        Tensor slice = rc.allocateTemp(t.dtype(), AxisSlices.without(t.shape(), 0));
        AxisSlices.slice(t, 0, b, slice);
        return slice;
    }

    /** Runs the body {@code length} times; updates {@code states} in place; returns the scan outputs per output. */
    private static List<List<Tensor>> scan(RunContext rc, Spec s, Tensor[] states, Tensor[] scans, long length) {
        for (int m = 0; m < s.scanInputs; m++) {
            if (scans[m].shape().dim(s.inAxes[m]) < length) {
                throw new EdgerunException("Scan: scan input " + m + " " + scans[m].shape() + " is shorter than " + length
                        + " along axis " + s.inAxes[m]);
            }
        }
        List<List<Tensor>> outs = new ArrayList<>();
        for (int k = 0; k < s.scanOutputs; k++) outs.add(new ArrayList<>());
        Map<String, Object> inputs = new HashMap<>();
        for (long t = 0; t < length; t++) {
            inputs.clear();
            for (int j = 0; j < s.states; j++) inputs.put(s.names[j], states[j]);
            for (int m = 0; m < s.scanInputs; m++) {
                Tensor full = scans[m];
                Tensor slice = rc.allocateTemp(full.dtype(), AxisSlices.without(full.shape(), s.inAxes[m]));
                AxisSlices.slice(full, s.inAxes[m], s.inReversed[m] ? length - 1 - t : t, slice);
                inputs.put(s.names[s.states + m], slice);
            }
            List<Object> result = rc.runSubgraph(s.body, inputs);
            for (int j = 0; j < s.states; j++) states[j] = (Tensor) result.get(j);
            for (int k = 0; k < s.scanOutputs; k++) outs.get(k).add((Tensor) result.get(s.states + k));
        }
        return outs;
    }
}
