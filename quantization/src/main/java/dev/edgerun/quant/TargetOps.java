package dev.edgerun.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ops.OperatorRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which of the operators a quantizer may emit each target engine implements, so that a
 * quantized model never contains one the target lacks. The native engine is asked through its
 * {@link OperatorRegistry}; ONNX Runtime's CPU provider is described by a table (its kernel
 * registry cannot be queried from Java).
 */
public final class TargetOps {

    /**
     * ONNX Runtime 1.23 CPU kernels for the operators quantization emits, with the weight (second
     * input) element types each accepts. ConvInteger is registered for uint8 weights only, which is
     * why int8-weight ConvInteger models fail to load there.
     */
    private static final Map<String, Set<DType>> ONNXRUNTIME_CPU = Map.ofEntries(
            Map.entry("QuantizeLinear", Set.of(DType.FLOAT)),
            Map.entry("DequantizeLinear", Set.of(DType.FLOAT)),
            Map.entry("DynamicQuantizeLinear", Set.of()),
            Map.entry("MatMulInteger", Set.of(DType.INT8, DType.UINT8)),
            Map.entry("ConvInteger", Set.of(DType.UINT8)),
            Map.entry("QLinearMatMul", Set.of(DType.INT8, DType.UINT8)),
            Map.entry("QLinearConv", Set.of(DType.INT8, DType.UINT8)),
            Map.entry("Cast", Set.of()),
            Map.entry("Mul", Set.of()),
            Map.entry("Add", Set.of()),
            Map.entry("Reshape", Set.of()));

    private final List<String> engines;
    private final long opset;

    public TargetOps(List<String> engines, long opset) {
        this.engines = List.copyOf(engines);
        this.opset = opset;
    }

    public List<String> engines() {
        return engines;
    }

    /** Whether every target engine implements {@code opType} (default domain). */
    public boolean supports(String opType) {
        for (String e : engines) if (!supports(e, opType)) return false;
        return true;
    }

    /** Whether every target engine implements {@code opType} with a second input of {@code weightType}. */
    public boolean supports(String opType, DType weightType) {
        for (String e : engines) {
            if (!supports(e, opType)) return false;
            if (e.equals("onnxruntime") && !ONNXRUNTIME_CPU.get(opType).contains(weightType)) return false;
        }
        return true;
    }

    /** The weight type ConvInteger can take on every target: int8 when all accept it, else uint8, else null. */
    public DType convIntegerWeightType() {
        if (supports("ConvInteger", DType.INT8)) return DType.INT8;
        if (supports("ConvInteger", DType.UINT8)) return DType.UINT8;
        return null;
    }

    private boolean supports(String engine, String opType) {
        return switch (engine) {
            case "native" -> OperatorRegistry.find("", opType, opset) != null;
            case "onnxruntime" -> ONNXRUNTIME_CPU.containsKey(opType);
            default -> throw new IllegalArgumentException("no operator table for engine '" + engine
                    + "'; known: native, onnxruntime");
        };
    }
}
