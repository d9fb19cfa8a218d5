package dev.edgerun.quant;

import java.util.Locale;

/** What {@link Quantizer} produces. */
public enum QuantMode {
    /** int8 weights, activations quantized at run time (DynamicQuantizeLinear + MatMulInteger/ConvInteger). */
    DYNAMIC,
    /** int8 weights and calibrated activations as QuantizeLinear/DequantizeLinear pairs (QDQ). */
    STATIC,
    /** float16 weights and activations, float32 at the model boundary and around unsupported operators. */
    FP16,
    /** int8 weights of MatMul/Gemm dequantized in the graph; the arithmetic stays float. */
    WEIGHT_ONLY;

    /** {@code dynamic}, {@code static}, {@code fp16}, {@code weight-only} (as on the command line). */
    public static QuantMode parse(String s) {
        String k = s.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        for (QuantMode m : values()) if (m.name().toLowerCase(Locale.ROOT).equals(k)) return m;
        throw new IllegalArgumentException("unknown quantization mode '" + s + "'; expected one of dynamic, static, fp16, weight-only");
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
