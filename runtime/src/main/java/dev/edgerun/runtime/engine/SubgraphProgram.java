package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.InvalidInputException;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Subgraph;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A compiled If/Loop/Scan body. Its shapes may change between calls (a loop-carried value that
 * grows), so it keeps a few plans keyed by the types of its inputs and of the values it reads
 * from the enclosing graph; those values are taken from the calling frame at each call.
 */
final class SubgraphProgram implements Subgraph, AutoCloseable {
    private static final int MAX_PLANS = 8;

    final GraphProgram program;
    private final int[] parentSlots;          // per captured name: its slot in the enclosing program
    private final Object[] capturedConstants; // per captured name: its value when constant in the enclosing plan
    private final String owner;               // the node that owns this body, for messages
    private Plan[] plans = new Plan[0];       // most recently used first; guarded by this
    private boolean closed;

    SubgraphProgram(GraphProgram program, int[] parentSlots, Object[] capturedConstants, String owner) {
        this.program = program;
        this.parentSlots = parentSlots;
        this.capturedConstants = capturedConstants;
        this.owner = owner;
    }

    @Override
    public Graph graph() {
        return program.graph;
    }

    /** Runs the body for the step {@code parent} is running; outputs live until the parent run ends. */
    List<Object> run(Frame parent, Map<String, Object> given) {
        int nIn = program.inputs.length;
        Object[] inputs = new Object[nIn];
        for (int i = 0; i < nIn; i++) inputs[i] = given.get(program.inputs[i].name());
        if (given.size() > nIn || countKnown(given) != given.size()) {
            throw new InvalidInputException(owner + ": subgraph '" + program.graph.name() + "' was given inputs "
                    + given.keySet() + "; its inputs are " + Arrays.stream(program.inputs).map(v -> v.name()).toList());
        }
        ValueType[] signature = new ValueType[nIn + parentSlots.length];
        for (int i = 0; i < nIn; i++) signature[i] = Values.typeOf(inputs[i]);
        for (int c = 0; c < parentSlots.length; c++) signature[nIn + c] = Values.typeOf(parent.values[parentSlots[c]]);

        Plan plan;
        Frame frame;
        do {
            plan = planFor(signature);   // throws once the session is closed
            frame = plan.acquire();
        } while (frame == null);
        try {
            for (int i = 0; i < nIn; i++) frame.values[program.inputSlots[i]] = inputs[i];
            for (int c = 0; c < parentSlots.length; c++) {
                int slot = program.capturedSlots[c];
                if (plan.slotKind[slot] == Plan.INPUT) frame.values[slot] = parent.values[parentSlots[c]];
            }
            frame.execute();
            List<Object> outputs = new ArrayList<>(program.outputSlots.length);
            for (int slot : program.outputSlots) outputs.add(handOver(plan, frame, slot, parent));
            return outputs;
        } finally {
            plan.release(frame);
        }
    }

    private int countKnown(Map<String, Object> given) {
        int n = 0;
        for (var v : program.inputs) if (given.containsKey(v.name())) n++;
        return n;
    }

    /**
     * An output of the body as a value that lives until the parent run ends: constants pass
     * through, the body's temporaries move to the parent, and views into an arena are copied
     * (the body's arena is reused by its next call, the parent's by later steps). Inputs and
     * captured values pass through unless they are such views.
     */
    private static Object handOver(Plan plan, Frame body, int slot, Frame parent) {
        Object v = body.values[slot];
        byte kind = plan.slotKind[slot];
        if (kind == Plan.CONSTANT) return v;
        if (kind == Plan.INPUT) return outsideParentArena(v, parent);
        return move(v, body, parent);
    }

    private static Object outsideParentArena(Object v, Frame parent) {
        if (v instanceof Tensor t) {
            if (!parent.inArena(t)) return t;
            Tensor copy = t.copy();
            parent.adopt(copy);
            return copy;
        }
        if (v instanceof List<?> list) {
            List<Tensor> r = new ArrayList<>(list.size());
            for (Object o : list) r.add((Tensor) outsideParentArena(o, parent));
            return r;
        }
        return v;
    }

    private static Object move(Object v, Frame body, Frame parent) {
        if (v == null) return null;
        if (v instanceof Tensor t) {
            if (body.release(t)) {
                parent.adopt(t);
                return t;
            }
            Tensor copy = t.copy();
            parent.adopt(copy);
            return copy;
        }
        List<?> list = (List<?>) v;
        List<Tensor> r = new ArrayList<>(list.size());
        for (Object o : list) r.add((Tensor) move(o, body, parent));
        return r;
    }

    private Plan planFor(ValueType[] signature) {
        synchronized (this) {
            if (closed) throw new IllegalStateException("session is closed");
            for (int i = 0; i < plans.length; i++) {
                if (Arrays.equals(plans[i].signature, signature)) return moveToFront(i);
            }
            Plan p = new Planner(program, Planner.Mode.RUN).plan(signature, capturedConstants);
            Plan[] next = new Plan[Math.min(plans.length + 1, MAX_PLANS)];
            next[0] = p;
            System.arraycopy(plans, 0, next, 1, next.length - 1);
            if (plans.length == MAX_PLANS) plans[MAX_PLANS - 1].close();
            plans = next;
            return p;
        }
    }

    private Plan moveToFront(int i) {
        Plan p = plans[i];
        System.arraycopy(plans, 0, plans, 1, i);
        plans[0] = p;
        return p;
    }

    @Override
    public void close() {
        Plan[] toClose;
        synchronized (this) {
            if (closed) return;
            closed = true;
            toClose = plans;
            plans = new Plan[0];
        }
        Plan.closeAll(Arrays.asList(toClose));
    }
}
