package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.ResourceLimitException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.UnsupportedOperatorException;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.ops.InternalLayoutKernel;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.Operator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Makes a {@link Plan} of a {@link GraphProgram} for concrete input types: prepares every node
 * through its operator (which infers the output types), folds nodes whose inputs are all
 * constant, leaves nodes whose input shapes depend on data to be prepared at run time, and lays
 * out the arena by liveness.
 */
final class Planner {

    /** COMPILE and TRIAL collect unsupported nodes instead of stopping; TRIAL also tolerates other errors. */
    enum Mode { COMPILE, TRIAL, RUN }

    private final GraphProgram program;
    private final Mode mode;
    final List<UnsupportedOperatorException.Miss> misses = new ArrayList<>();
    private boolean incomplete;   // TRIAL: some node could not be planned

    private ValueType[] type;
    private Object[] constant;
    private byte[] kind;
    private int slotCount;
    private final List<Step> steps = new ArrayList<>();
    private final List<AutoCloseable> owned = new ArrayList<>();
    private final Set<Object> borrowed = Collections.newSetFromMap(new IdentityHashMap<>());
    private int folded;
    private int aliased;
    private int[] aliasOf;        // per slot: the slot whose arena buffer it shares, or -1
    private long[] internalBytes; // per slot: bytes of its internal (native library) layout, 0 when dense

    Planner(GraphProgram program, Mode mode) {
        this.program = program;
        this.mode = mode;
        slotCount = program.slotCount();
        type = new ValueType[slotCount];
        constant = new Object[slotCount];
        kind = new byte[slotCount];
        aliasOf = new int[slotCount];
        Arrays.fill(aliasOf, -1);
    }

    /**
     * Plans for {@code signature} (types of the program's inputs, then of its captured values);
     * {@code capturedConstants} gives the captured values known at compile time (may be null).
     * Returns null in COMPILE/TRIAL mode when a node could not be planned ({@link #misses}).
     */
    Plan plan(ValueType[] signature, Object[] capturedConstants) {
        try {
            seed(signature, capturedConstants);
            for (int j = 0; j < program.nodes.length; j++) planNode(j);
            if (!misses.isEmpty() || incomplete) {
                Plan.closeAll(owned);
                return null;
            }
            return finish(signature);
        } catch (RuntimeException | Error e) {
            Plan.closeAll(owned);
            throw e;
        }
    }

    private void seed(ValueType[] signature, Object[] capturedConstants) {
        for (int i = 0; i < program.initializerSlots.length; i++) {
            Tensor t = program.initializerValues[i];
            int s = program.initializerSlots[i];
            setConstant(s, t);
            borrowed.add(t);
        }
        for (int i = 0; i < program.inputSlots.length; i++) {
            int s = program.inputSlots[i];
            kind[s] = Plan.INPUT;
            type[s] = signature[i];
        }
        for (int i = 0; i < program.capturedSlots.length; i++) {
            int s = program.capturedSlots[i];
            Object c = capturedConstants == null ? null : capturedConstants[i];
            if (c != null) {
                setConstant(s, c);
                borrowed.add(c);
            } else {
                kind[s] = Plan.INPUT;
                type[s] = signature[program.inputSlots.length + i];
            }
        }
    }

    private void setConstant(int slot, Object value) {
        kind[slot] = Plan.CONSTANT;
        constant[slot] = value;
        type[slot] = Values.typeOf(value);
    }

    private void planNode(int j) {
        Operator op = program.operators[j];
        int[] in = program.nodeInputs[j];
        int[] out = program.nodeOutputs[j];
        if (op == null) {           // reported by the registry walk at compile time
            if (mode == Mode.RUN) {
                Node n = program.nodes[j];
                throw new UnsupportedOperatorException(ExecEnv.ENGINE, List.of(new UnsupportedOperatorException.Miss(
                        n.opType(), n.domain(), program.opsets[j], n.label(),
                        program.env.operators.whyMissing(n.domain(), n.opType(), program.opsets[j]))), "");
            }
            markUnknown(out);
            return;
        }
        boolean dynamic = false;
        boolean allConstant = true;
        ValueType[] inTypes = new ValueType[in.length];
        for (int i = 0; i < in.length; i++) {
            if (in[i] < 0) continue;
            if (kind[in[i]] == Plan.UNKNOWN) {
                markUnknown(out);
                return;
            }
            inTypes[i] = type[in[i]];
            if (!Values.isConcreteTensor(inTypes[i])) dynamic = true;
            if (kind[in[i]] != Plan.CONSTANT) allConstant = false;
        }
        for (int c : program.nodeCaptures[j]) {
            if (kind[c] == Plan.UNKNOWN) {
                markUnknown(out);
                return;
            }
        }
        String label = program.label(j);
        if (dynamic) {
            steps.add(new Step(j, program.nodes[j], program.opsets[j], op, null, in, out, label));
            for (int s : out) kind[s] = Plan.DYNAMIC;
            return;
        }
        PlanNodeContext ctx = new PlanNodeContext(program, j, inTypes, constant);
        Kernel k;
        try {
            k = op.prepare(ctx);
            if (k == null) throw new EdgerunException(label + ": operator returned no kernel");
        } catch (UnsupportedOperatorException e) {
            Plan.closeAll(ctx.created);
            if (mode == Mode.RUN) throw e;
            misses.addAll(e.misses());
            markUnknown(out);
            return;
        } catch (RuntimeException e) {
            Plan.closeAll(ctx.created);
            if (mode != Mode.TRIAL) {
                throw e instanceof EdgerunException ee ? ee : new EdgerunException(label + " failed while planning: " + e, e);
            }
            incomplete = true;
            markUnknown(out);
            return;
        }
        owned.addAll(ctx.created);
        List<ValueType> outTypes = k.outputTypes();
        out = withExtraOutputs(out, outTypes.size());
        List<Tensor> known = k.constantOutputs();
        if (known != null) {
            adoptConstantOutputs(j, out, known);
            return;
        }
        if (allConstant && program.env.foldConstants && !program.hasSubgraphs[j] && !k.nondeterministic()) {
            try {
                fold(j, k, in, out);
            } catch (RuntimeException e) {
                if (mode != Mode.TRIAL) throw e;
                incomplete = true;   // with trial dimensions of 1 a folded shape computation may fail
                markUnknown(out);
            }
            return;
        }
        if (aliasInput(k, in, out, outTypes)) return;
        Step step = new Step(j, program.nodes[j], program.opsets[j], op, k, in, out, label);
        steps.add(step);
        for (int i = 0; i < out.length; i++) {
            ValueType t = i < outTypes.size() ? outTypes.get(i) : null;
            type[out[i]] = t;
            if (Values.isConcreteTensor(t)) {
                kind[out[i]] = ((ValueType.TensorType) t).dtype() == DType.STRING ? Plan.STRINGS : Plan.ARENA;
            } else {
                kind[out[i]] = Plan.DYNAMIC;
            }
        }
    }

    /**
     * A kernel whose only output is its input's bytes under another shape (see
     * {@link Kernel#outputAliasesInput}) becomes a view of the input's arena buffer: no step.
     */
    private boolean aliasInput(Kernel k, int[] in, int[] out, List<ValueType> outTypes) {
        int a = k.outputAliasesInput();
        if (a < 0 || a >= in.length || in[a] < 0 || out.length != 1 || outTypes.size() != 1) return false;
        if (kind[in[a]] != Plan.ARENA || !Values.isConcreteTensor(outTypes.get(0))) return false;
        ValueType.TensorType from = (ValueType.TensorType) type[in[a]];
        ValueType.TensorType to = (ValueType.TensorType) outTypes.get(0);
        if (from.dtype() != to.dtype() || from.shape().elementCount() != to.shape().elementCount()) return false;
        aliasOf[out[0]] = root(in[a]);
        kind[out[0]] = Plan.ARENA;
        type[out[0]] = to;
        aliased++;
        return true;
    }

    private int root(int slot) {
        while (aliasOf[slot] >= 0) slot = aliasOf[slot];
        return slot;
    }

    private void markUnknown(int[] out) {
        for (int s : out) kind[s] = Plan.UNKNOWN;
    }

    /** Outputs a kernel declares beyond those the node lists get slots of their own (written, never read). */
    private int[] withExtraOutputs(int[] out, int declared) {
        if (declared <= out.length) return out;
        int[] r = Arrays.copyOf(out, declared);
        for (int i = out.length; i < declared; i++) r[i] = newSlot();
        return r;
    }

    private int newSlot() {
        if (slotCount == type.length) {
            int cap = Math.max(16, slotCount * 2);
            type = Arrays.copyOf(type, cap);
            constant = Arrays.copyOf(constant, cap);
            kind = Arrays.copyOf(kind, cap);
            int old = aliasOf.length;
            aliasOf = Arrays.copyOf(aliasOf, cap);
            Arrays.fill(aliasOf, old, cap, -1);
        }
        return slotCount++;
    }

    private void adoptConstantOutputs(int j, int[] out, List<Tensor> known) {
        Set<Object> attributeTensors = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Attribute a : program.nodes[j].attributes().values()) {
            if (a.kind() == Attribute.Kind.TENSOR) attributeTensors.add(a.value());
            if (a.kind() == Attribute.Kind.TENSORS) attributeTensors.addAll(a.asTensors());
        }
        for (int i = 0; i < out.length && i < known.size(); i++) {
            Tensor t = known.get(i);
            // Constants computed by the kernel belong to the plan; those it passes through (an
            // initializer, an attribute of the model) stay with their owner.
            if (t != null && !borrowed.contains(t) && !attributeTensors.contains(t)) {
                owned.add(t);
                borrowed.add(t);
            }
            setConstant(out[i], t);
        }
        folded++;
    }

    private void fold(int j, Kernel k, int[] in, int[] out) {
        Object[] values = new Object[in.length];
        for (int i = 0; i < in.length; i++) values[i] = in[i] < 0 ? null : constant[in[i]];
        Object[] results;
        try {
            results = FoldContext.fold(program.label(j), k, values, owned, program.env);
        } catch (EdgerunException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new EdgerunException(program.label(j) + " failed while folding constants: " + e, e);
        }
        for (int i = 0; i < out.length && i < results.length; i++) {
            setConstant(out[i], results[i]);
            if (results[i] != null) borrowed.add(results[i]);
        }
        folded++;
    }

    // ------------------------------------------------------------------ liveness and layout

    private Plan finish(ValueType[] signature) {
        internalBytes = new long[slotCount];
        new InternalLayouts().choose();
        for (Step step : steps) step.sizeScratch();
        Step[] stepArray = steps.toArray(new Step[0]);
        int n = stepArray.length;
        int[] first = new int[slotCount];
        int[] last = new int[slotCount];
        Arrays.fill(first, -1);
        for (int s = 0; s < n; s++) {
            Step step = stepArray[s];
            for (int slot : step.out) if (first[slot] < 0) first[slot] = s;
            for (int slot : step.in) if (slot >= 0) last[slot] = Math.max(last[slot], s);
            for (int slot : program.nodeCaptures[step.nodeIndex]) last[slot] = Math.max(last[slot], s);
        }
        for (int slot : program.outputSlots) last[slot] = n;

        List<Integer> arena = new ArrayList<>();   // every slot with an arena buffer, views included
        List<Integer> roots = new ArrayList<>();   // slots that own their buffer
        List<Integer> strings = new ArrayList<>();
        List<Integer> clear = new ArrayList<>();
        for (int slot = 0; slot < slotCount; slot++) {
            switch (kind[slot]) {
                case Plan.ARENA -> {
                    arena.add(slot);
                    if (aliasOf[slot] < 0) roots.add(slot);
                    else last[root(slot)] = Math.max(last[root(slot)], last[slot]); // a view keeps its buffer alive
                }
                case Plan.STRINGS -> strings.add(slot);
                case Plan.INPUT, Plan.DYNAMIC -> clear.add(slot);
                default -> { }
            }
        }
        List<Integer> scratchSteps = new ArrayList<>();
        for (int s = 0; s < n; s++) if (stepArray[s].scratchBytes > 0) scratchSteps.add(s);

        int items = roots.size() + scratchSteps.size();
        long[] sizes = new long[items];
        int[] from = new int[items];
        int[] to = new int[items];
        for (int i = 0; i < roots.size(); i++) {
            int slot = roots.get(i);
            sizes[i] = bytes(slot);
            from[i] = first[slot];
            to[i] = Math.max(first[slot], last[slot]);
        }
        for (int i = 0; i < scratchSteps.size(); i++) {
            int s = scratchSteps.get(i);
            sizes[roots.size() + i] = stepArray[s].scratchBytes;
            from[roots.size() + i] = s;
            to[roots.size() + i] = s;
        }
        long unshared = 0;
        for (long size : sizes) unshared += ArenaLayout.align(Math.max(size, 1));
        ArenaLayout layout = ArenaLayout.plan(sizes, from, to);
        checkLimit(layout.totalBytes, signature);

        long[] rootOffset = new long[slotCount];
        for (int i = 0; i < roots.size(); i++) rootOffset[roots.get(i)] = layout.offsets[i];
        ValueType.TensorType[] arenaTypes = new ValueType.TensorType[arena.size()];
        long[] arenaOffsets = new long[arena.size()];
        for (int i = 0; i < arena.size(); i++) {
            int slot = arena.get(i);
            arenaTypes[i] = (ValueType.TensorType) type[slot];
            arenaOffsets[i] = rootOffset[root(slot)];
        }
        for (int i = 0; i < scratchSteps.size(); i++) {
            stepArray[scratchSteps.get(i)].scratchOffset = layout.offsets[roots.size() + i];
        }
        Shape[] stringShapes = new Shape[strings.size()];
        for (int i = 0; i < stringShapes.length; i++) stringShapes[i] = ((ValueType.TensorType) type[strings.get(i)]).shape();

        return new Plan(program, signature, stepArray, Arrays.copyOf(kind, slotCount), Arrays.copyOf(constant, slotCount),
                toArray(arena), arenaOffsets, arenaTypes, toArray(strings), stringShapes, toArray(clear),
                layout.totalBytes, unshared, folded, aliased, internalBytes, owned);
    }

    private long bytes(int slot) {
        ValueType.TensorType t = (ValueType.TensorType) type[slot];
        return Math.max(t.dtype().storageBytes(t.shape().elementCount()), internalBytes[slot]);
    }

    /**
     * Keeps values in a native library's internal activation layout between kernels that agree on
     * it (oneDNN convolutions in its blocked layout), sparing a conversion at each end. Values are
     * grouped through element-wise steps whose operands all have the output's type (a residual
     * Add, a Relu): such a step computes the same in any element order, so it may run on values in
     * a layout without padding. A group switches when every producer and reader outside it is an
     * {@link InternalLayoutKernel} (reading it as input 0) offering one equal layout, and no member
     * is a graph output, captured by a subgraph or viewed by an alias. The steps at both ends get
     * kernels switched to that layout and the buffers are sized for it ({@link #internalBytes});
     * everything else keeps seeing dense tensors. Decided once per plan.
     */
    private final class InternalLayouts {
        /** Operators computing each output element from the same element of each operand only. */
        private static final Set<String> ELEMENTWISE = Set.of("Add", "Sub", "Mul", "Div", "Max", "Min", "Sum",
                "Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSwish", "Neg", "Abs");

        private final int[] group = new int[slotCount];     // union-find parent over slots
        private final boolean[] chosen = new boolean[slotCount];
        private final KernelProvider.ConvKernel.Layout[] layout = new KernelProvider.ConvKernel.Layout[slotCount];

        void choose() {
            if (!findGroups()) return;
            // A kernel that cannot switch after all keeps its groups dense: drop them and retry.
            for (int attempt = 0; attempt < 4; attempt++) {
                Kernel[] switched = new Kernel[steps.size()];
                int failed = switchKernels(switched);
                if (failed < 0) {
                    commit();
                    for (int s = 0; s < switched.length; s++) {
                        if (switched[s] == null) continue;
                        Step old = steps.get(s);
                        steps.set(s, new Step(old.nodeIndex, old.node, old.opset, old.operator, switched[s], old.in, old.out, old.label));
                    }
                    return;
                }
                Step f = steps.get(failed);
                for (int slot : f.in) if (slot >= 0) dropGroup(slot);
                for (int slot : f.out) dropGroup(slot);
            }
        }

        private boolean aware(Step step) {
            return step.kernel instanceof InternalLayoutKernel;
        }

        /** A static single-output element-wise step whose operands all have its output's type. */
        private boolean elementwise(Step step) {
            if (step.kernel == null || step.out.length != 1 || !ELEMENTWISE.contains(step.node.opType())) return false;
            if (!step.node.domain().isEmpty() && !step.node.domain().equals("ai.onnx")) return false;
            if (!(type[step.out[0]] instanceof ValueType.TensorType t) || t.dtype() != DType.FLOAT) return false;
            for (int slot : step.in) {
                if (slot < 0 || !(type[slot] instanceof ValueType.TensorType u) || u.dtype() != t.dtype()
                        || !u.shape().sameDims(t.shape())) {
                    return false;
                }
            }
            return step.in.length > 0;
        }

        private int find(int slot) {
            while (group[slot] != slot) slot = group[slot] = group[group[slot]];
            return slot;
        }

        /** Groups values, decides each group's layout; false when no group qualifies. */
        private boolean findGroups() {
            for (int slot = 0; slot < slotCount; slot++) group[slot] = slot;
            boolean[] excluded = new boolean[slotCount];
            boolean[] produced = new boolean[slotCount];
            boolean[] read = new boolean[slotCount];
            boolean[] throughElementwise = new boolean[slotCount];
            for (Step step : steps) {
                boolean aware = aware(step), elementwise = elementwise(step);
                for (int i = 0; i < step.out.length; i++) {
                    int slot = step.out[i];
                    if ((aware && i == 0) || elementwise) produced[slot] = true;
                    else excluded[slot] = true;
                }
                for (int i = 0; i < step.in.length; i++) {
                    int slot = step.in[i];
                    if (slot < 0) continue;
                    read[slot] = true;
                    if (elementwise) {
                        throughElementwise[slot] = throughElementwise[step.out[0]] = true;
                        group[find(slot)] = find(step.out[0]);
                    } else if (i != 0 || !aware) {
                        excluded[slot] = true;
                    }
                }
                for (int slot : program.nodeCaptures[step.nodeIndex]) excluded[slot] = true;
            }
            for (int slot : program.outputSlots) excluded[slot] = true;
            for (int slot = 0; slot < slotCount; slot++) if (aliasOf[slot] >= 0) excluded[root(slot)] = true;
            for (int slot = 0; slot < slotCount; slot++) {
                if (!produced[slot] || !read[slot] || kind[slot] != Plan.ARENA || aliasOf[slot] >= 0) excluded[slot] = true;
            }
            KernelProvider.ConvKernel.Layout[] agreed = new KernelProvider.ConvKernel.Layout[slotCount];
            boolean[] bad = new boolean[slotCount];
            for (int slot = 0; slot < slotCount; slot++) if (excluded[slot]) bad[find(slot)] = true;
            Offers offers = offers();
            for (int s = 0; s < steps.size(); s++) {
                Step step = steps.get(s);
                if (!aware(step)) continue;
                if (step.out.length > 0) agree(agreed, bad, step.out[0], offers.output[s]);
                if (step.in.length > 0 && step.in[0] >= 0) agree(agreed, bad, step.in[0], offers.input[s]);
            }
            boolean any = false;
            for (int slot = 0; slot < slotCount; slot++) {
                int g = find(slot);
                if (bad[g] || agreed[g] == null || excluded[slot]) continue;
                // element-wise steps run over the dense element count: only a layout without padding
                if (throughElementwise[slot] && agreed[g].bytes() != denseBytes(slot)) {
                    bad[g] = true;
                    continue;
                }
                chosen[slot] = true;
                layout[slot] = agreed[g];
                any = true;
            }
            for (int slot = 0; slot < slotCount; slot++) if (chosen[slot] && bad[find(slot)]) chosen[slot] = false;
            return any;
        }

        private void agree(KernelProvider.ConvKernel.Layout[] agreed, boolean[] bad, int slot,
                           KernelProvider.ConvKernel.Layout offered) {
            int g = find(slot);
            if (offered == null) bad[g] = true;
            else if (agreed[g] == null) agreed[g] = offered;
            else if (!agreed[g].token().equals(offered.token())) bad[g] = true;
        }

        private void dropGroup(int slot) {
            int g = find(slot);
            for (int other = 0; other < slotCount; other++) if (find(other) == g) chosen[other] = false;
        }

        /** Fills the switched kernel of every oneDNN-style step touching a chosen value; the index of a step that cannot switch, or -1. */
        private int switchKernels(Kernel[] switched) {
            List<Integer> touching = new ArrayList<>();
            boolean[] in = new boolean[steps.size()];
            boolean[] out = new boolean[steps.size()];
            for (int s = 0; s < steps.size(); s++) {
                Step step = steps.get(s);
                if (!aware(step)) continue;
                in[s] = step.in.length > 0 && step.in[0] >= 0 && chosen[step.in[0]];
                out[s] = step.out.length > 0 && chosen[step.out[0]];
                if (in[s] || out[s]) touching.add(s);
            }
            // each switch builds a oneDNN program (primitive creation, weight reorder): independent per step
            PlanningHelper.forEach(touching.size(), i -> {
                int s = touching.get(i);
                switched[s] = ((InternalLayoutKernel) steps.get(s).kernel).withInternalLayouts(in[s], out[s]);
            });
            for (int s : touching) if (switched[s] == null) return s;
            return -1;
        }

        /** The layouts each layout-aware step offers for its input 0 and output 0 (null: none), asked of all at once. */
        private record Offers(KernelProvider.ConvKernel.Layout[] input, KernelProvider.ConvKernel.Layout[] output) { }

        private Offers offers() {
            Offers offers = new Offers(new KernelProvider.ConvKernel.Layout[steps.size()],
                    new KernelProvider.ConvKernel.Layout[steps.size()]);
            List<Integer> aware = new ArrayList<>();
            for (int s = 0; s < steps.size(); s++) if (aware(steps.get(s))) aware.add(s);
            // each offer asks oneDNN for a primitive descriptor: independent per step
            PlanningHelper.forEach(aware.size(), i -> {
                int s = aware.get(i);
                Step step = steps.get(s);
                InternalLayoutKernel k = (InternalLayoutKernel) step.kernel;
                if (step.out.length > 0) offers.output[s] = k.internalOutputLayout();
                if (step.in.length > 0 && step.in[0] >= 0) offers.input[s] = k.internalInputLayout();
            });
            return offers;
        }

        private void commit() {
            for (int slot = 0; slot < slotCount; slot++) if (chosen[slot]) internalBytes[slot] = layout[slot].bytes();
        }
    }

    private long denseBytes(int slot) {
        ValueType.TensorType t = (ValueType.TensorType) type[slot];
        return t.dtype().storageBytes(t.shape().elementCount());
    }

    private void checkLimit(long bytes, ValueType[] signature) {
        long limit = program.env.memoryLimit;
        if (limit > 0 && bytes > limit) {
            throw new ResourceLimitException(String.format(
                    "native engine: graph '%s' with inputs %s needs %.1f MiB of activation memory, limit %.1f MiB",
                    program.graph.name(), Arrays.toString(signature), bytes / 1048576.0, limit / 1048576.0));
        }
    }

    private static int[] toArray(List<Integer> list) {
        int[] r = new int[list.size()];
        for (int i = 0; i < r.length; i++) r[i] = list.get(i);
        return r;
    }
}
