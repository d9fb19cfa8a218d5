package dev.edgerun.quant;

import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Median latency of one inference, float model against quantized model, on each engine. */
public final class Latency {

    /** Milliseconds (median of {@code runs} after warm-up); {@code error} says why an engine could not run a model. */
    public record EngineLatency(String engine, double floatMs, double quantizedMs, String error) {
        public double speedup() {
            return floatMs / quantizedMs;
        }
    }

    private Latency() {}

    public static List<EngineLatency> measure(Model floatModel, Model quantized, Map<String, Tensor> sample,
                                              List<String> engines, int runs) {
        List<EngineLatency> r = new ArrayList<>();
        for (String e : engines) {
            try {
                double f = median(floatModel, sample, e, runs);
                double q = median(quantized, sample, e, runs);
                r.add(new EngineLatency(e, f, q, null));
            } catch (RuntimeException ex) {
                r.add(new EngineLatency(e, Double.NaN, Double.NaN, String.valueOf(ex.getMessage()).replace('\n', ' ')));
            }
        }
        return r;
    }

    static double median(Model model, Map<String, Tensor> sample, String engine, int runs) {
        try (Session s = Edgerun.session(model, SessionOptions.builder().engine(engine).build())) {
            for (int i = 0; i < Math.max(2, runs / 5); i++) s.run(sample).close();
            double[] ms = new double[runs];
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                RunResult r = s.run(sample);
                ms[i] = (System.nanoTime() - t0) / 1e6;
                r.close();
            }
            Arrays.sort(ms);
            return ms[runs / 2];
        }
    }
}
