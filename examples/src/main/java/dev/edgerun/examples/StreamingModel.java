package dev.edgerun.examples;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Value;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model run once per streaming window. Its input tensor and its state tensors are allocated
 * once; the caller writes each window into {@link #input()} and calls {@link #run()}.
 *
 * <p>Stateful models (voice-activity detectors, streaming RNNs) return their state as outputs and
 * take it back as inputs on the next call. Each pair (state input, state output) is found by name
 * ({@code h_in}/{@code h_out}, {@code state}/{@code state_out}, {@code state}/{@code new_state}) or
 * given explicitly; after every run the state output is copied into the state input's tensor, so
 * the state lives in memory this object owns and the next window sees it. States start at zero.
 *
 * <p>The session is borrowed, not owned: a gateway can share one session between many streams.
 */
final class StreamingModel implements AutoCloseable {
    private final Session session;
    private final Tensor input;                   // the window: (1, ...) float32, refilled every run
    private final String outputName;
    private final float[] output;                 // the main output, copied out after every run
    private final MemorySegment outputView;       // heap view of `output`, made once
    private final List<String> stateOutputs = new ArrayList<>();
    private final List<Tensor> stateInputs = new ArrayList<>();
    private final Map<String, Tensor> feed = new HashMap<>();  // reused for every run
    private long runs;

    /**
     * @param windowDims the dimensions of the main input (symbolic ones resolved by the caller)
     * @param statePairs explicit state input → state output names; empty to find them by name
     */
    StreamingModel(Session session, long[] windowDims, Map<String, String> statePairs) {
        this.session = session;
        Map<String, String> pairs = statePairs.isEmpty() ? findStatePairs(session) : new LinkedHashMap<>(statePairs);
        Value main = null;
        for (Value v : session.inputs()) {
            if (!pairs.containsKey(v.name()) && main == null) main = v;
        }
        if (main == null) throw new IllegalArgumentException("the model has no input besides its state inputs " + pairs.keySet());
        this.input = Tensor.allocate(DType.FLOAT, windowDims);
        feed.put(main.name(), input);
        for (Value v : session.inputs()) {
            String out = pairs.get(v.name());
            if (out == null) continue;
            if (session.outputs().stream().noneMatch(o -> o.name().equals(out))) {
                throw new IllegalArgumentException("state input '" + v.name() + "' pairs with output '" + out
                        + "', which the model does not have; outputs: " + names(session.outputs()));
            }
            Tensor state = Tensor.allocate(v.dtype() != null ? v.dtype() : DType.FLOAT, concrete(v.shape()));
            stateInputs.add(state);
            stateOutputs.add(out);
            feed.put(v.name(), state);
        }
        String mainOut = null;
        for (Value v : session.outputs()) if (!stateOutputs.contains(v.name()) && mainOut == null) mainOut = v.name();
        if (mainOut == null) throw new IllegalArgumentException("the model has no output besides its states " + stateOutputs);
        this.outputName = mainOut;
        int size = outputSize(session, mainOut);
        if (size < 0) { // a symbolic output shape: one run on the zero window tells its size
            try (RunResult r = session.run(feed)) {
                size = Math.toIntExact(r.get(mainOut).elementCount());
            }
        }
        this.output = new float[size];
        this.outputView = MemorySegment.ofArray(output);
    }

    /** Pairs each input X with an output named X_out, new_X, or X with "in" turned into "out". */
    static Map<String, String> findStatePairs(Session session) {
        List<String> outs = names(session.outputs());
        Map<String, String> pairs = new LinkedHashMap<>();
        for (Value v : session.inputs()) {
            String n = v.name();
            for (String candidate : List.of(n + "_out", "new_" + n, n.replaceAll("in$", "out"), n.replace("_in", "_out"))) {
                if (!candidate.equals(n) && outs.contains(candidate)) {
                    pairs.put(n, candidate);
                    break;
                }
            }
        }
        return pairs;
    }

    private static List<String> names(List<Value> values) {
        return values.stream().map(Value::name).toList();
    }

    private static long[] concrete(Shape s) {
        long[] d = s.dims();
        for (int i = 0; i < d.length; i++) if (d[i] < 0) d[i] = 1; // a symbolic batch of a state is 1 stream
        return d;
    }

    private static int outputSize(Session session, String name) {
        for (Value v : session.outputs()) {
            if (v.name().equals(name) && v.shape() != null && v.shape().isConcrete()) {
                return Math.toIntExact(v.shape().elementCount());
            }
        }
        return -1; // unknown until the first run
    }

    /** Where the caller writes the window (float32, row-major). */
    MemorySegment input() {
        return input.data();
    }

    long inputSize() {
        return input.elementCount();
    }

    /** Runs on the current window and returns the main output (the same array every call). */
    float[] run() {
        try (RunResult r = session.run(feed)) {
            Tensor out = r.get(outputName);
            if (out.elementCount() != output.length) {
                throw new IllegalStateException("output '" + outputName + "' has " + out.elementCount()
                        + " values, expected " + output.length);
            }
            MemorySegment.copy(out.data(), 0, outputView, 0, out.byteSize());
            for (int i = 0; i < stateInputs.size(); i++) feedBack(r.get(stateOutputs.get(i)), stateInputs.get(i));
        }
        runs++;
        return output;
    }

    private static void feedBack(Tensor produced, Tensor stateInput) {
        if (produced.byteSize() != stateInput.byteSize()) {
            throw new IllegalStateException("state output " + produced.shape() + " does not fit its input " + stateInput.shape());
        }
        MemorySegment.copy(produced.data(), 0, stateInput.data(), 0, produced.byteSize());
    }

    /** Zeroes every state, as at the start of a new stream. */
    void resetState() {
        for (Tensor t : stateInputs) t.data().fill((byte) 0);
    }

    int stateCount() {
        return stateInputs.size();
    }

    float stateValue(int state, int index) {
        return stateInputs.get(state).data().getAtIndex(ValueLayout.JAVA_FLOAT, index);
    }

    long runs() {
        return runs;
    }

    int outputLength() {
        return output.length;
    }

    @Override
    public void close() {
        input.close();
        for (Tensor t : stateInputs) t.close();
    }
}
