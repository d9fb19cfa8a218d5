package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.EngineUnavailableException;
import dev.edgerun.runtime.Inputs;
import dev.edgerun.runtime.InvalidInputException;
import dev.edgerun.runtime.Outputs;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.UnsupportedOperatorException;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.VectorWarmup;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A model compiled by the native engine. Plans are made per set of input shapes: at compile time
 * when every input shape is fixed, otherwise at the first run with new shapes (a few are kept).
 * Concurrent runs share a plan and each take their own frame (arena and views) from its pool.
 *
 * <p>{@link #run(Map)} copies outputs of a size the plan fixes into one block per result, taken
 * from and given back to a small pool of this session when the result is closed. A result the
 * caller never closes leaks nothing: its block is freed by the garbage collector once neither the
 * result nor its tensors are reachable. Outputs whose size only the run knows are tensors the run
 * allocated; they own their memory, and only closing the result (or them) frees it.
 */
public final class NativeSession implements Session {
    private static final int MAX_PLANS = 8;
    private static final String HINT = "The onnxruntime engine (--engine onnxruntime) runs every standard ONNX operator.";

    /** Time spent in one node of the latest plan, summed over runs (provider option {@code profile=true}). */
    public record NodeProfile(String node, String opType, long calls, long totalNanos, boolean dynamic) {}

    /**
     * What the graph optimizer rewrote at compile time (all 0 with optimization level NONE);
     * {@code fusedQdq}: QDQ convolutions and matmuls now run as QLinearConv/QLinearMatMul.
     */
    public record Optimizations(int foldedBatchNorms, int fusedBiases, int fusedActivations, int fusedQdq) {
        public Optimizations(int foldedBatchNorms, int fusedBiases, int fusedActivations) {
            this(foldedBatchNorms, fusedBiases, fusedActivations, 0);
        }
    }

    /** What the latest plan looks like, for {@code edgerun inspect} and tests. */
    public record PlanStats(long arenaBytes, long unsharedBytes, int steps, int dynamicSteps, int foldedNodes,
                            int aliasedNodes, int cachedPlans, long plansMade) {}

    private final ExecEnv env;
    private final WorkerPool pool;
    private final GraphProgram main;
    private final List<Value> inputs;
    private final List<Value> outputs;
    private final Object planLock = new Object();
    private volatile Plan[] plans = new Plan[0];  // copy on write, newest first
    private volatile Plan lastPlan;
    private long plansMade;                        // guarded by planLock
    private volatile boolean closed;
    private final Optimizations optimizations;
    private static final int MAX_IDLE_RESULT_BLOCKS = 8;
    /** Idle result blocks, taken and given back with one compare-and-set each (no lock per run). */
    private final AtomicReferenceArray<ResultBlock> resultBlocks = new AtomicReferenceArray<>(MAX_IDLE_RESULT_BLOCKS);
    /** Where the outputs of the latest plan go in a result block; remade when another plan runs. */
    private volatile OutputLayout outputLayout;
    private final List<Tensor> optimizerTensors;   // folded weights, freed with the session
    /** Per thread, the inputs of {@link #run(Map, Map)} in model order, so that a run allocates no array. */
    private final ThreadLocal<Tensor[]> orderedInputs;

    NativeSession(Model model, SessionOptions options, OperatorSource operators) {
        checkDevices(options);
        // On the second core while this session compiles: oneDNN opens, then the opt-in Vector API warm-up runs (VectorWarmup).
        boolean preloading = likelyWantsNativeKernels(model.graph())
                && KernelSelection.defaults().preloadInBackground(VectorWarmup::warmUpHere);
        if (!preloading) VectorWarmup.startInBackground();
        this.pool = new WorkerPool(options.threads() == 0 ? 1 : options.threads());
        List<Tensor> created = new ArrayList<>();
        this.optimizerTensors = created;
        try {
            this.env = new ExecEnv(model.opsetImports(), operators, pool, options.memoryLimit(),
                    options.optimization() != SessionOptions.OptimizationLevel.NONE,
                    "true".equalsIgnoreCase(options.providerOptions().get("profile")));
            Graph graph = FunctionInliner.inline(model);
            if (options.optimization() != SessionOptions.OptimizationLevel.NONE) {
                GraphOptimizer.Result r = GraphOptimizer.optimize(graph, model.onnxOpset());
                graph = TransformerFusion.fuse(r.graph()).graph();   // after the MatMul + bias fusion it relies on
                created.addAll(r.created());
                this.optimizations = new Optimizations(r.foldedBatchNorms(), r.fusedBiases(), r.fusedActivations(), r.fusedQdq());
            } else {
                this.optimizations = new Optimizations(0, 0, 0);
            }
            List<UnsupportedOperatorException.Miss> misses = new ArrayList<>();
            GraphProgram.collectRegistryMisses(graph, env, misses);
            this.main = new GraphProgram(graph, env, false);
            this.inputs = List.of(main.inputs);
            int inputCount = main.inputs.length;
            this.orderedInputs = ThreadLocal.withInitial(() -> new Tensor[inputCount]);
            this.outputs = graph.outputs();
            planAtCompileTime(misses);
            if (!misses.isEmpty()) throw new UnsupportedOperatorException(ExecEnv.ENGINE, misses, HINT);
        } catch (RuntimeException | Error e) {
            closePlans();
            pool.close();
            for (Tensor t : created) t.close();
            throw e;
        }
    }

    /** How many times a kernel of this session handed parts of its work to a pool thread (tests). */
    long workerHandOffs() {
        return pool.handOffs();
    }

    /** What the graph optimizer rewrote when this session was compiled. */
    public Optimizations optimizations() {
        return optimizations;
    }

    /** Operators whose nodes the kernel libraries take in automatic selection, at the sizes models use them. */
    private static final Set<String> NATIVE_KERNEL_OPERATORS = Set.of("Conv", "ConvTranspose", "QLinearConv",
            "ConvInteger", "MatMul", "QLinearMatMul", "MatMulInteger", "LSTM", "GRU", "RNN");

    /**
     * Whether planning {@code graph} will probably open a kernel library (oneDNN opens in about 40 ms
     * of CPU). A one-row Gemm (a fully connected layer at batch 1) stays with the Java kernels, so
     * a graph of those alone (mlp_tiny) does not count: a wrong guess costs only the library's
     * memory and a second core's time, a missed one the time this saves.
     */
    static boolean likelyWantsNativeKernels(Graph graph) {
        for (Node n : graph.nodes()) {
            if (n.domain().isEmpty() && NATIVE_KERNEL_OPERATORS.contains(n.opType())) return true;
        }
        return false;
    }

    private static void checkDevices(SessionOptions options) {
        if (options.devices().isEmpty() || options.devices().contains("cpu")) return;
        if (options.fallback() == SessionOptions.FallbackPolicy.STRICT) {
            throw new EngineUnavailableException("the native engine runs on the cpu only, not on " + options.devices()
                    + "; use --engine onnxruntime for other devices");
        }
    }

    /**
     * Plans now when the input shapes are fixed. With symbolic dimensions, plans a trial with those
     * dimensions set to 1, so that nodes the engine cannot prepare are still reported now; the
     * trial plan is kept when it succeeds.
     */
    private void planAtCompileTime(List<UnsupportedOperatorException.Miss> misses) {
        ValueType[] declared = new ValueType[main.inputs.length];
        boolean concrete = true;
        boolean ranked = true;
        for (int i = 0; i < declared.length; i++) {
            declared[i] = main.inputs[i].type();
            if (!Values.isConcreteTensor(declared[i])) concrete = false;
            if (!(declared[i] instanceof ValueType.TensorType t) || t.shape() == null || t.dtype() == null) ranked = false;
        }
        if (!concrete && !ranked) return;
        ValueType[] signature = concrete ? declared : withUnitDims(declared);
        Planner planner = new Planner(main, concrete ? Planner.Mode.COMPILE : Planner.Mode.TRIAL);
        Plan plan = plan(planner, signature);
        misses.addAll(planner.misses);
        if (plan != null) remember(plan);
    }

    private static ValueType[] withUnitDims(ValueType[] declared) {
        ValueType[] r = new ValueType[declared.length];
        for (int i = 0; i < r.length; i++) {
            ValueType.TensorType t = (ValueType.TensorType) declared[i];
            long[] dims = t.shape().dims();
            for (int d = 0; d < dims.length; d++) if (dims[d] < 0) dims[d] = 1;
            r[i] = new ValueType.TensorType(t.dtype(), Shape.of(dims));
        }
        return r;
    }

    @Override
    public String engineName() {
        return ExecEnv.ENGINE;
    }

    @Override
    public String description() {
        return "native engine, " + pool.threads() + " thread(s), " + NativeEngine.kernelDescription()
                + "; kernel providers in order " + KernelSelection.defaults().providers();
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
        checkOpen();
        Frame frame = frameFor(given);
        try {
            frame.execute();
            OutputLayout layout = outputLayoutOf(frame);
            return layout != null ? copyOutputs(layout, frame) : collectOutputs(frame.plan, frame);
        } finally {
            frame.plan.release(frame);
        }
    }

    /**
     * Where each output of {@code frame}'s plan goes in one result block, when every output is a
     * tensor whose size the plan fixes (an arena buffer, a constant or an input): then a run copies
     * them with no per-run bookkeeping. Null when an output is made while running, or is a string
     * or sequence; those runs take {@link #collectOutputs}.
     */
    private OutputLayout outputLayoutOf(Frame frame) {
        OutputLayout layout = outputLayout;
        if (layout != null && layout.plan == frame.plan) return layout.offsets == null ? null : layout;
        layout = OutputLayout.of(main, frame);
        outputLayout = layout;
        return layout.offsets == null ? null : layout;
    }

    /** The layout of the outputs in a result block; {@code offsets} null when the plan has none (see above). */
    private record OutputLayout(Plan plan, long[] offsets, long bytes) {
        static OutputLayout of(GraphProgram main, Frame frame) {
            int n = main.outputSlots.length;
            long[] offsets = new long[n];
            long at = 0;
            boolean distinct = new java.util.HashSet<>(Arrays.asList(main.outputNames)).size() == n;
            for (int i = 0; i < n; i++) {
                int slot = main.outputSlots[i];
                byte kind = frame.plan.slotKind[slot];
                boolean fixed = kind == Plan.ARENA || kind == Plan.CONSTANT || kind == Plan.INPUT;
                if (!fixed || !distinct || !(frame.values[slot] instanceof Tensor t) || t.dtype() == DType.STRING) {
                    return new OutputLayout(frame.plan, null, 0);
                }
                offsets[i] = at;
                at += alignUp(Math.max(t.byteSize(), 1));
            }
            return new OutputLayout(frame.plan, offsets, at);
        }
    }

    /** The outputs copied into one result block laid out by {@code layout}. */
    private RunResult copyOutputs(OutputLayout layout, Frame frame) {
        ResultBlock memory = takeResultBlock(layout.bytes);
        try {
            MemorySegment[] slices = memory.slicesFor(layout, frame);
            Tensor[] out = new Tensor[slices.length];
            for (int i = 0; i < out.length; i++) {
                Tensor t = (Tensor) frame.values[main.outputSlots[i]];
                slices[i].copyFrom(t.data());
                out[i] = Tensor.wrap(t.dtype(), t.shape(), slices[i]);
            }
            return new RunResult(main.outputNames, out, memory);   // names distinct: OutputLayout checked
        } catch (RuntimeException | Error e) {
            memory.close();
            throw e;
        }
    }

    /**
     * The outputs as a {@link RunResult}: tensors this run made while running are handed over; the
     * others (arena views, constants, inputs) are copied into one block of memory that the result
     * holds and gives back to this session's pool when closed, so that a steady state of runs
     * allocates no off-heap memory (see {@link ResultBlock}).
     */
    private RunResult collectOutputs(Plan plan, Frame frame) {
        int n = main.outputSlots.length;
        Tensor[] produced = new Tensor[n];
        boolean[] handedOver = new boolean[n];
        long copyBytes = 0;
        try {
            for (int i = 0; i < n; i++) {
                int slot = main.outputSlots[i];
                if (!(frame.values[slot] instanceof Tensor t)) {
                    throw new EdgerunException("output '" + main.outputNames[i] + "' is "
                            + (frame.values[slot] == null ? "an empty optional" : "a sequence")
                            + "; Session.run returns tensors only (use NativeSession.runValues)");
                }
                produced[i] = t;
                handedOver[i] = plan.slotKind[slot] == Plan.DYNAMIC && frame.release(t);
                if (!handedOver[i] && t.dtype() != DType.STRING) copyBytes += alignUp(t.byteSize());
            }
            ResultBlock memory = copyBytes > 0 ? takeResultBlock(copyBytes) : null;
            MemorySegment block = memory == null ? MemorySegment.NULL : memory.segment;
            Map<String, Tensor> result = new LinkedHashMap<>();
            long offset = 0;
            for (int i = 0; i < n; i++) {
                Tensor t = produced[i];
                Tensor out;
                if (handedOver[i]) {
                    out = t;
                } else if (t.dtype() == DType.STRING) {
                    out = t.copy();
                } else {
                    MemorySegment slice = block.asSlice(offset, t.byteSize());
                    slice.copyFrom(t.data());
                    out = Tensor.wrap(t.dtype(), t.shape(), slice);
                    offset += alignUp(t.byteSize());
                }
                Tensor before = result.put(main.outputNames[i], out);
                if (before != null) before.close(); // a graph listing one output twice
            }
            return new RunResult(result, memory);
        } catch (RuntimeException e) {
            for (int i = 0; i < n; i++) if (handedOver[i]) produced[i].close();
            throw e;
        }
    }

    /**
     * Output memory of one {@link RunResult}. {@link #close} gives it back to the session's pool;
     * when the pool is full or the session closed, the block is dropped instead. The memory comes
     * from an automatic arena, so it is freed by the garbage collector once nothing reaches it: a
     * result its caller never closes leaks nothing, and its tensors stay valid for as long as they
     * are reachable (closing costs nothing either: a shared arena's close takes tens of microseconds).
     */
    private final class ResultBlock implements AutoCloseable {
        final MemorySegment segment;

        /** The outputs' places in {@link #segment} under {@link #slicedFor}; made again when another layout takes the block. */
        private MemorySegment[] slices;
        private OutputLayout slicedFor;

        ResultBlock(long bytes) {
            this.segment = Arena.ofAuto().allocate(bytes, Tensor.ALIGNMENT);
        }

        /** One slice per output of {@code layout}, each the size of the output's tensor in {@code frame}. */
        MemorySegment[] slicesFor(OutputLayout layout, Frame frame) {
            if (slicedFor == layout) return slices;
            MemorySegment[] r = new MemorySegment[layout.offsets.length];
            for (int i = 0; i < r.length; i++) {
                Tensor t = (Tensor) frame.values[main.outputSlots[i]];
                r[i] = segment.asSlice(layout.offsets[i], t.byteSize());
            }
            slices = r;
            slicedFor = layout;
            return r;
        }

        @Override
        public void close() {
            if (closed) return;
            for (int i = 0; i < MAX_IDLE_RESULT_BLOCKS; i++) {
                if (resultBlocks.get(i) == null && resultBlocks.compareAndSet(i, null, this)) {
                    // the session may have closed meanwhile and emptied the pool before this block went in
                    if (closed) resultBlocks.compareAndSet(i, this, null);
                    return;
                }
            }
        }
    }

    /** An idle block of exactly {@code bytes} (the output size of a plan), or a new one. */
    private ResultBlock takeResultBlock(long bytes) {
        for (int i = 0; i < MAX_IDLE_RESULT_BLOCKS; i++) {
            ResultBlock b = resultBlocks.get(i);
            if (b != null && b.segment.byteSize() == bytes && resultBlocks.compareAndSet(i, b, null)) return b;
        }
        return new ResultBlock(bytes);
    }

    /** Drops the idle result blocks; the garbage collector frees them. */
    private void dropResultBlocks() {
        for (int i = 0; i < MAX_IDLE_RESULT_BLOCKS; i++) resultBlocks.set(i, null);
    }

    private static long alignUp(long bytes) {
        return (bytes + Tensor.ALIGNMENT - 1) & -Tensor.ALIGNMENT;
    }

    /**
     * Runs the model into the caller's output tensors. Once a plan exists for the input shapes, a
     * run allocates nothing on the Java heap: inputs are looked up without iterators, the frame
     * comes from the plan's pool and the outputs are copied from the frame into {@code outs}.
     */
    @Override
    public void run(Map<String, Tensor> given, Map<String, Tensor> outs) {
        checkOpen();
        Frame frame = frameFor(given);
        try {
            Outputs.checkNames(outputs, outs);
            frame.execute();
            copyOutputs(frame, outs);
        } finally {
            frame.plan.release(frame);
        }
    }

    /**
     * A frame of the plan for the given inputs, with them bound. The usual run feeds tensors of a
     * type already planned: then one comparison with the plan's signature checks them, since every
     * plan's signature satisfies the model's declarations (see {@link #plan(Map)}). Otherwise the
     * inputs are checked against the declarations, and planned for when new.
     */
    private Frame frameFor(Map<String, Tensor> given) {
        Tensor[] ordered = orderedInputs.get();
        try {
            Plan plan = gatherInputs(given, ordered) ? cachedPlan(ordered) : null;
            if (plan == null) {
                if (!orderInputs(given, ordered)) Inputs.validate(inputs, given); // throws, naming the problem
                plan = planFor(ordered);
            }
            return bind(plan, ordered);
        } finally {
            Arrays.fill(ordered, null);
        }
    }

    /** Puts the inputs in model order; false when the count differs or one is missing or closed. */
    private boolean gatherInputs(Map<String, Tensor> given, Tensor[] ordered) {
        if (given.size() != ordered.length) return false;
        for (int i = 0; i < ordered.length; i++) {
            Tensor t = given.get(main.inputs[i].name());
            if (t == null || t.isClosed()) return false;
            ordered[i] = t;
        }
        return true;
    }

    /** The cached plan for exactly these inputs' dtypes and shapes, or null. */
    private Plan cachedPlan(Tensor[] ordered) {
        for (Plan p : plans) {
            if (p.matches(ordered)) {
                if (lastPlan != p) lastPlan = p; // no volatile write (a fence) per run in the steady state
                return p;
            }
        }
        return null;
    }

    /** Puts the inputs in model order; false when one is missing, unknown, closed or mistyped. */
    private boolean orderInputs(Map<String, Tensor> given, Tensor[] ordered) {
        if (given.size() != ordered.length) return false;
        for (int i = 0; i < ordered.length; i++) {
            Tensor t = given.get(main.inputs[i].name());
            if (t == null || t.isClosed() || !matchesDeclaration(main.inputs[i], t)) return false;
            ordered[i] = t;
        }
        return true;
    }

    private static boolean matchesDeclaration(Value v, Tensor t) {
        if (!(v.type() instanceof ValueType.TensorType declared)) return false;
        if (declared.dtype() != null && declared.dtype() != t.dtype()) return false;
        return declares(v, t.shape());
    }

    /** Whether {@code got} has the rank and the fixed dimensions {@code v} declares. */
    private static boolean declares(Value v, Shape got) {
        if (!(v.type() instanceof ValueType.TensorType declared)) return false;
        Shape want = declared.shape();
        if (want == null) return true;
        if (want.rank() != got.rank()) return false;
        for (int d = 0; d < want.rank(); d++) {
            if (want.dim(d) >= 0 && want.dim(d) != got.dim(d)) return false;
        }
        return true;
    }

    private void copyOutputs(Frame frame, Map<String, Tensor> outs) {
        for (int i = 0; i < main.outputSlots.length; i++) {
            String name = main.outputNames[i];
            Tensor target = outs.get(name);
            if (target == null && !outs.containsKey(name)) continue;
            if (!(frame.values[main.outputSlots[i]] instanceof Tensor produced)) {
                throw new EdgerunException("output '" + name + "' is not a tensor; run(Map, Map) writes tensors only"
                        + " (use NativeSession.runValues)");
            }
            Outputs.copyInto(name, produced, target);
        }
    }

    /**
     * Runs the model with inputs that may be sequences ({@code List<Tensor>}) as well as tensors,
     * and returns every output as a value the caller owns: a {@link Tensor}, a {@code List<Tensor>}
     * or null (an empty optional). The caller closes the tensors.
     */
    public Map<String, Object> runValues(Map<String, ?> given) {
        checkOpen();
        checkValueInputs(given);
        Object[] ordered = new Object[main.inputs.length];
        ValueType[] signature = new ValueType[ordered.length];
        for (int i = 0; i < ordered.length; i++) {
            ordered[i] = given.get(main.inputs[i].name());
            signature[i] = Values.typeOf(ordered[i]);
        }
        Frame frame = bind(planFor(signature), ordered);
        Plan plan = frame.plan;
        try {
            frame.execute();
            Map<String, Object> result = new LinkedHashMap<>();
            try {
                for (int i = 0; i < main.outputSlots.length; i++) {
                    closeValue(result.put(main.outputNames[i], handOver(plan, frame, main.outputSlots[i])));
                }
            } catch (RuntimeException e) {
                for (Object v : result.values()) closeValue(v);
                throw e;
            }
            return result;
        } finally {
            plan.release(frame);
        }
    }

    private void checkValueInputs(Map<String, ?> given) {
        List<Value> tensorInputs = new ArrayList<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        for (Value v : main.inputs) {
            names.add(v.name());
            Object o = given.get(v.name());
            if (!given.containsKey(v.name())) {
                throw new InvalidInputException("missing input '" + v.name() + "' (" + v.type() + "); given " + given.keySet());
            }
            if (o instanceof Tensor t) {
                tensorInputs.add(v);
                tensors.put(v.name(), t);
            } else if (o instanceof List<?> list) {
                for (Object e : list) {
                    if (!(e instanceof Tensor)) {
                        throw new InvalidInputException("input '" + v.name() + "': sequence elements must be tensors");
                    }
                }
            } else if (o != null) {
                throw new InvalidInputException("input '" + v.name() + "' must be a Tensor, a List<Tensor> or null, got "
                        + o.getClass().getName());
            }
        }
        for (String name : given.keySet()) {
            if (!names.contains(name)) throw new InvalidInputException("unknown input '" + name + "'; expected one of " + names);
        }
        Inputs.validate(tensorInputs, tensors);
    }

    /** An output as a value the caller owns: this run's temporaries are handed over, anything else is copied. */
    private static Object handOver(Plan plan, Frame frame, int slot) {
        Object v = frame.values[slot];
        boolean runOwned = plan.slotKind[slot] == Plan.DYNAMIC;
        return own(v, frame, runOwned);
    }

    private static Object own(Object v, Frame frame, boolean runOwned) {
        if (v == null) return null;
        if (v instanceof Tensor t) return runOwned && frame.release(t) ? t : t.copy();
        List<?> list = (List<?>) v;
        List<Tensor> r = new ArrayList<>(list.size());
        for (Object o : list) r.add((Tensor) own(o, frame, runOwned));
        return r;
    }

    private static void closeValue(Object v) {
        if (v instanceof Tensor t) t.close();
        else if (v instanceof List<?> list) for (Object o : list) closeValue(o);
    }

    // ------------------------------------------------------------------ plan cache

    /**
     * A frame of {@code plan} with the inputs bound. A plan evicted from the cache between lookup
     * and use refuses frames; then the plan is looked up again for the same inputs.
     */
    private Frame bind(Plan plan, Object[] ordered) {
        Frame frame = plan.acquire();
        while (frame == null) {
            plan = ordered instanceof Tensor[] tensors ? planFor(tensors) : planFor(signatureOf(ordered));
            frame = plan.acquire();
        }
        for (int i = 0; i < ordered.length; i++) frame.values[main.inputSlots[i]] = ordered[i];
        return frame;
    }

    private static ValueType[] signatureOf(Object[] ordered) {
        ValueType[] signature = new ValueType[ordered.length];
        for (int i = 0; i < ordered.length; i++) signature[i] = Values.typeOf(ordered[i]);
        return signature;
    }

    private Plan planFor(Tensor[] ordered) {
        checkOpen();
        Plan p = cachedPlan(ordered);
        return p != null ? p : planFor(signatureOf(ordered));
    }

    private Plan planFor(ValueType[] signature) {
        for (Plan p : plans) {
            if (Arrays.equals(p.signature, signature)) {
                lastPlan = p;
                return p;
            }
        }
        synchronized (planLock) {
            checkOpen();
            for (Plan p : plans) {
                if (Arrays.equals(p.signature, signature)) {
                    lastPlan = p;
                    return p;
                }
            }
            Plan p = plan(new Planner(main, Planner.Mode.RUN), signature);
            remember(p);
            return p;
        }
    }

    /** Plans with the session's thread count declared, so oneDNN kernels are built for it now, not again on the first run. */
    private Plan plan(Planner planner, ValueType[] signature) {
        return KernelSelection.planningWith(pool.threads(), () -> planner.plan(signature, null));
    }

    private void remember(Plan p) {
        synchronized (planLock) {
            Plan[] old = plans;
            int keep = Math.min(old.length, MAX_PLANS - 1);
            Plan[] next = new Plan[keep + 1];
            next[0] = p;
            System.arraycopy(old, 0, next, 1, keep);
            plans = next;
            plansMade++;
            lastPlan = p;
            for (int i = keep; i < old.length; i++) old[i].close();
        }
    }

    /**
     * Plans for the given input shapes without running (or finds the cached plan) and returns its
     * figures; for {@code edgerun inspect} on models with symbolic dimensions.
     */
    public PlanStats plan(Map<String, Shape> inputShapes) {
        checkOpen();
        ValueType[] signature = new ValueType[main.inputs.length];
        for (int i = 0; i < signature.length; i++) {
            Value v = main.inputs[i];
            Shape shape = inputShapes.get(v.name());
            if (shape == null || !shape.isConcrete() || v.dtype() == null) {
                throw new InvalidInputException("plan: input '" + v.name() + "' (" + v.type()
                        + ") needs a concrete shape; given " + inputShapes);
            }
            if (!declares(v, shape)) {   // a run matching this plan's signature is not checked again
                throw new InvalidInputException("plan: input '" + v.name() + "' is declared " + v.type()
                        + ", given shape " + shape);
            }
            signature[i] = new ValueType.TensorType(v.dtype(), shape);
        }
        planFor(signature);
        return planStats();
    }

    /**
     * Per-node times of the latest plan, slowest first; empty unless the session was made with the
     * provider option {@code profile=true} (which times every step of every run).
     */
    public List<NodeProfile> profile() {
        Plan p = lastPlan;
        if (p == null || !env.profile) return List.of();
        List<NodeProfile> r = new ArrayList<>();
        for (Step s : p.steps) {
            r.add(new NodeProfile(s.node.label(), s.node.opType(), s.calls.sum(), s.nanos.sum(), s.isDynamic()));
        }
        r.sort((a, b) -> Long.compare(b.totalNanos(), a.totalNanos()));
        return r;
    }

    /** The latest plan as text, one line per step (see {@code Plan.explain}); empty before the first plan. */
    public String explainPlan() {
        Plan p = lastPlan;
        return p == null ? "" : p.explain();
    }

    /** Zeroes the per-node times (after a warm-up, for example). */
    public void resetProfile() {
        Plan p = lastPlan;
        if (p == null) return;
        for (Step s : p.steps) {
            s.nanos.reset();
            s.calls.reset();
        }
    }

    /** Activation arena bytes of the latest plan (after buffer reuse), or -1 before the first plan. */
    public long plannedPeakBytes() {
        Plan p = lastPlan;
        return p == null ? -1 : p.arenaBytes;
    }

    /** Figures of the latest plan, or null before the first plan (symbolic input shapes). */
    public PlanStats planStats() {
        Plan p = lastPlan;
        if (p == null) return null;
        synchronized (planLock) {
            return new PlanStats(p.arenaBytes, p.unsharedBytes, p.steps.length, p.dynamicSteps(), p.foldedNodes,
                    p.aliasedNodes, plans.length, plansMade);
        }
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("session is closed");
    }

    private void closePlans() {
        Plan[] old;
        synchronized (planLock) {
            old = plans;
            plans = new Plan[0];
            lastPlan = null;
        }
        Plan.closeAll(Arrays.asList(old));
    }

    /** Frees every plan and stops the thread pool; outputs already returned stay valid. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            closePlans();
        } finally {
            pool.close();
            for (Tensor t : optimizerTensors) t.close();
            dropResultBlocks();   // closed is set: a result closed from now on drops its own block
        }
    }
}
