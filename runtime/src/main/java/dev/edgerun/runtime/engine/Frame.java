package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.ResourceLimitException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.ops.Subgraph;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The state of one run of a {@link Plan}: the value of every slot, the activation arena with its
 * tensor views (made once, when the frame is made), and the tensors allocated during the run.
 * Frames are pooled by their plan, so a steady-state run reuses everything. One frame serves one
 * run at a time; it is also the {@link RunContext} every kernel of that run sees.
 */
final class Frame implements RunContext, Parallel, AutoCloseable {
    private static final int MAX_EXTRA_OUTPUTS = 8;

    final Plan plan;
    final Object[] values;                 // per slot: Tensor, List<Tensor> or null
    private final Arena arena;             // null when the plan needs no arena
    private final long arenaStart;         // address range of the arena, to recognise views into it
    private final long arenaEnd;
    private final MemorySegment[] scratchByStep;
    private final ArrayList<Tensor> temps = new ArrayList<>();   // owned by this run, closed at its end; guarded by this
    private final Object[] extraOutputs = new Object[MAX_EXTRA_OUTPUTS];

    private long tempBytes;                // bytes of temps, counted against the session's memory limit

    private Step current;
    private MemorySegment currentScratch = MemorySegment.NULL;

    Frame(Plan plan) {
        this.plan = plan;
        this.values = plan.constants.clone();
        this.arena = plan.arenaBytes > 0 ? Arena.ofShared() : null;
        MemorySegment base = arena == null ? MemorySegment.NULL : arena.allocate(plan.arenaBytes, ArenaLayout.ALIGN);
        this.arenaStart = base.address();
        this.arenaEnd = base.address() + base.byteSize();
        for (int i = 0; i < plan.arenaSlots.length; i++) {
            ValueType.TensorType t = plan.arenaTypes[i];
            long bytes = t.dtype().storageBytes(t.shape().elementCount());
            values[plan.arenaSlots[i]] = Tensor.wrap(t.dtype(), t.shape(), base.asSlice(plan.arenaOffsets[i], bytes));
        }
        for (int i = 0; i < plan.stringSlots.length; i++) {
            values[plan.stringSlots[i]] = Tensor.allocate(DType.STRING, plan.stringShapes[i]);
        }
        scratchByStep = new MemorySegment[plan.steps.length];
        for (int i = 0; i < scratchByStep.length; i++) {
            Step s = plan.steps[i];
            scratchByStep[i] = s.scratchBytes > 0 ? base.asSlice(s.scratchOffset, s.scratchBytes) : MemorySegment.NULL;
        }
    }

    /** Runs every step in order. */
    void execute() {
        Step[] steps = plan.steps;
        boolean profile = plan.env.profile;
        for (int i = 0; i < steps.length; i++) {
            Step s = steps[i];
            current = s;
            long start = profile ? System.nanoTime() : 0;
            try {
                if (s.kernel != null) {
                    currentScratch = scratchByStep[i];
                    s.kernel.run(this);
                } else {
                    runDynamic(s);
                }
            } catch (EdgerunException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new EdgerunException(s.label + " failed: " + e, e);
            }
            if (profile) {
                s.nanos.add(System.nanoTime() - start);
                s.calls.increment();
            }
        }
        current = null;
    }

    /** A step whose input types are known only now: prepare it against the actual values, then run it. */
    private void runDynamic(Step s) {
        ValueType[] types = new ValueType[s.in.length];
        for (int i = 0; i < types.length; i++) types[i] = s.in[i] < 0 ? null : Values.typeOf(values[s.in[i]]);
        Kernel k = s.cachedKernel(types);
        List<SubgraphProgram> created = null;
        if (k == null) {
            PlanNodeContext ctx = new PlanNodeContext(plan.program, s.nodeIndex, types, plan.constants);
            try {
                k = s.operator.prepare(ctx);
            } catch (RuntimeException e) {
                Plan.closeAll(ctx.created);
                throw e;
            }
            if (ctx.created.isEmpty()) s.remember(types, k);
            else created = ctx.created;
        }
        try {
            List<ValueType> outTypes = k.outputTypes();
            for (int i = 0; i < outTypes.size(); i++) {
                if (Values.isConcreteTensor(outTypes.get(i))) {
                    ValueType.TensorType t = (ValueType.TensorType) outTypes.get(i);
                    setOut(i, allocateTemp(t.dtype(), t.shape()));
                } else {
                    setOut(i, null);
                }
            }
            currentScratch = k.scratchBytes() > 0
                    ? allocateTemp(DType.UINT8, Shape.of(k.scratchBytes())).data() : MemorySegment.NULL;
            k.run(this);
        } finally {
            if (created != null) Plan.closeAll(created);
        }
    }

    private void setOut(int i, Object value) {
        int[] out = current.out;
        if (i < out.length) values[out[i]] = value;
        else if (i - out.length < MAX_EXTRA_OUTPUTS) extraOutputs[i - out.length] = value;
        else throw new EdgerunException(current.label + ": output index " + i + " out of range");
    }

    private Object getOut(int i) {
        int[] out = current.out;
        if (i < out.length) return values[out[i]];
        if (i - out.length < MAX_EXTRA_OUTPUTS) return extraOutputs[i - out.length];
        throw new EdgerunException(current.label + ": output index " + i + " out of range");
    }

    // ------------------------------------------------------------------ RunContext

    @Override
    public Tensor input(int i) {
        Object v = inputValue(i);
        if (v == null || v instanceof Tensor) return (Tensor) v;
        throw new EdgerunException(current.label + ": input " + i + " is " + Values.describe(v) + ", not a tensor");
    }

    @Override
    public Object inputValue(int i) {
        int[] in = current.in;
        if (i >= in.length || in[i] < 0) return null;
        return values[in[i]];
    }

    @Override
    public int inputCount() {
        return current.in.length;
    }

    @Override
    public Tensor output(int i) {
        Object v = getOut(i);
        if (v instanceof Tensor t) return t;
        throw new EdgerunException(current.label + ": output " + i
                + " has no planned buffer (its shape depends on data); the kernel must use allocateOutput");
    }

    @Override
    public Tensor allocateOutput(int i, DType dtype, Shape shape) {
        if (i < current.out.length && plan.isPlannedBuffer(current.out[i])) {
            Tensor planned = (Tensor) values[current.out[i]];
            if (planned.dtype() == dtype && planned.shape().sameDims(shape)) return planned;
            throw new EdgerunException(current.label + ": output " + i + " was declared " + planned.dtype().onnxName()
                    + planned.shape() + " at planning time but the kernel allocates " + dtype.onnxName() + shape);
        }
        Tensor t = allocateTemp(dtype, shape);
        setOut(i, t);
        return t;
    }

    @Override
    public void setOutputValue(int i, Object value) {
        if (value != null && !(value instanceof Tensor) && !(value instanceof List<?>)) {
            throw new EdgerunException(current.label + ": output value must be a Tensor, a List<Tensor> or null, got "
                    + value.getClass().getName());
        }
        if (i < current.out.length && plan.isPlannedBuffer(current.out[i])) {
            throw new EdgerunException(current.label + ": output " + i
                    + " has a planned buffer; write into output(" + i + ") instead of setting a value");
        }
        setOut(i, value);
    }

    /** Kernels may allocate from parallelFor bodies, so temporaries are guarded by this frame's lock. */
    @Override
    public synchronized Tensor allocateTemp(DType dtype, Shape shape) {
        long bytes = dtype.storageBytes(shape.elementCount());
        long limit = plan.env.memoryLimit;
        if (limit > 0 && plan.arenaBytes + tempBytes + bytes > limit) {
            throw new ResourceLimitException(String.format(
                    "native engine: %s needs %.1f MiB for a %s%s value, %.1f of %.1f MiB in use",
                    current == null ? "graph '" + plan.program.graph.name() + "'" : current.label, bytes / 1048576.0,
                    dtype.onnxName(), shape, (plan.arenaBytes + tempBytes) / 1048576.0, limit / 1048576.0));
        }
        tempBytes += bytes;
        Tensor t = Tensor.allocate(dtype, shape);
        temps.add(t);
        return t;
    }

    @Override
    public MemorySegment scratch() {
        return currentScratch;
    }

    @Override
    public void parallelFor(int n, RangeBody body) {
        plan.env.pool.parallelFor(n, body);
    }

    /** As a {@link Parallel} ({@link Parallel#of} hands the frame itself to kernels): the session's pool. */
    @Override
    public void forRange(int n, RangeBody body) {
        plan.env.pool.parallelFor(n, body);
    }

    @Override
    public int threads() {
        return plan.env.pool.threads();
    }

    @Override
    public List<Object> runSubgraph(Subgraph subgraph, Map<String, Object> inputs) {
        if (!(subgraph instanceof SubgraphProgram sp)) {
            throw new EdgerunException(current.label + ": subgraph was not compiled by this engine");
        }
        return sp.run(this, inputs);
    }

    // ------------------------------------------------------------------ lifetime

    /** Whether {@code t} is a view into this frame's arena, whose memory later steps reuse. */
    boolean inArena(Tensor t) {
        if (arena == null || t.dtype() == DType.STRING) return false;
        long a = t.data().address();
        return a >= arenaStart && a < arenaEnd;
    }

    /** Moves {@code t} from this run's temporaries to the caller; false when this run does not own it. */
    synchronized boolean release(Tensor t) {
        for (int i = temps.size() - 1; i >= 0; i--) {
            if (temps.get(i) == t) {
                temps.remove(i);
                return true;
            }
        }
        return false;
    }

    /** Makes this run the owner of {@code t}: it is closed when the run ends. */
    synchronized void adopt(Tensor t) {
        temps.add(t);
    }

    /**
     * Forgets the values of the last run and frees its temporaries; the arena and views stay.
     * Called once the run's steps are done, so workers that allocated temporaries have finished
     * (their parallelFor returned): the lock is taken only when there are temporaries to free.
     */
    void reset() {
        int[] clear = plan.clearSlots;
        for (int i = 0; i < clear.length; i++) values[clear[i]] = null;
        for (int i = 0; i < MAX_EXTRA_OUTPUTS; i++) extraOutputs[i] = null;
        if (tempBytes != 0 || !temps.isEmpty()) freeTemps();
        current = null;
        currentScratch = MemorySegment.NULL;
    }

    private synchronized void freeTemps() {
        for (int i = 0; i < temps.size(); i++) temps.get(i).close();
        temps.clear();
        tempBytes = 0;
    }

    @Override
    public void close() {
        reset();
        if (arena != null) arena.close();
    }
}
