package dev.edgerun.quant;

import dev.edgerun.runtime.DType;
import java.util.List;
import java.util.Set;

/**
 * How to quantize.
 *
 * @param mode            dynamic, static (QDQ), fp16 or weight-only
 * @param perChannel      one scale per output channel of a weight (true) or one per tensor
 * @param method          calibration method for static mode
 * @param percentile      the percentile of |x| kept by {@link CalibrationMethod#PERCENTILE}
 * @param activationType  {@link DType#UINT8} or {@link DType#INT8} activations in static mode
 * @param reduceRange     7-bit weights ([-64, 63]), for kernels whose int16 accumulation would overflow
 * @param excludeNodes    node names kept in float
 * @param excludeOps      operator types kept in float
 * @param engines         the engines the result must run on (default: every available one); operators any of them lacks are not emitted
 */
public record QuantOptions(QuantMode mode, boolean perChannel, CalibrationMethod method, double percentile,
                           DType activationType, boolean reduceRange, Set<String> excludeNodes,
                           Set<String> excludeOps, List<String> engines) {

    /** Both engines: a quantized model runs on the native engine and on ONNX Runtime. */
    public static final List<String> ALL_ENGINES = List.of("native", "onnxruntime");

    public QuantOptions {
        excludeNodes = Set.copyOf(excludeNodes);
        excludeOps = Set.copyOf(excludeOps);
        engines = List.copyOf(engines);
        if (activationType != DType.UINT8 && activationType != DType.INT8) {
            throw new IllegalArgumentException("activation type must be uint8 or int8, got " + activationType.onnxName());
        }
        if (!(percentile > 0 && percentile <= 100)) throw new IllegalArgumentException("percentile must be in (0, 100], got " + percentile);
        if (engines.isEmpty()) throw new IllegalArgumentException("at least one target engine is needed");
    }

    public static Builder builder(QuantMode mode) {
        return new Builder(mode);
    }

    public Builder toBuilder() {
        return new Builder(mode).perChannel(perChannel).method(method).percentile(percentile)
                .activationType(activationType).reduceRange(reduceRange).excludeNodes(excludeNodes)
                .excludeOps(excludeOps).engines(engines);
    }

    /** Whether {@code nodeName} / {@code opType} is to be kept in float. */
    public boolean excluded(String nodeName, String opType) {
        return excludeNodes.contains(nodeName) || excludeOps.contains(opType);
    }

    public static final class Builder {
        private final QuantMode mode;
        private boolean perChannel = true;
        private CalibrationMethod method = CalibrationMethod.MINMAX;
        private double percentile = 99.999;
        private DType activationType = DType.UINT8;
        private boolean reduceRange;
        private Set<String> excludeNodes = Set.of();
        private Set<String> excludeOps = Set.of();
        private List<String> engines; // null: every available engine

        private Builder(QuantMode mode) {
            this.mode = mode;
        }

        public Builder perChannel(boolean v) { perChannel = v; return this; }
        public Builder method(CalibrationMethod v) { method = v; return this; }
        public Builder percentile(double v) { percentile = v; return this; }
        public Builder activationType(DType v) { activationType = v; return this; }
        public Builder reduceRange(boolean v) { reduceRange = v; return this; }
        public Builder excludeNodes(Set<String> v) { excludeNodes = v; return this; }
        public Builder excludeOps(Set<String> v) { excludeOps = v; return this; }
        public Builder engines(List<String> v) { engines = v; return this; }

        public QuantOptions build() {
            List<String> e = engines;
            if (e == null) {
                e = Quantizer.availableEngines();
                if (e.isEmpty()) e = List.of("native");
            }
            return new QuantOptions(mode, perChannel, method, percentile, activationType, reduceRange,
                    excludeNodes, excludeOps, e);
        }
    }
}
