package dev.edgerun.cli;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.Model;
import java.util.Map;

/** What the native engine can tell {@code inspect} about a model: inferred shapes and the planned arena. */
final class NativeFacts {
    private NativeFacts() {}

    /** Shapes by value name (empty when unknown) and the planned peak in bytes (-1 when unknown). */
    record Analysis(Map<String, Shape> shapes, long plannedPeakBytes, String note) {}

    static Analysis analyse(Model model) {
        return new Analysis(Map.of(), -1, "the native engine does not report a memory plan in this build");
    }
}
