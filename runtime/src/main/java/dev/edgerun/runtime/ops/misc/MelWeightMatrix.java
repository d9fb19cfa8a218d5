package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;

/**
 * ONNX MelWeightMatrix (opset 17): triangular mel filters [dft_length/2+1, num_mel_bins] mapping
 * a one-sided spectrum to mel bins, with the band edges computed exactly as the ONNX reference
 * does. Inputs: num_mel_bins, dft_length, sample_rate, lower_edge_hertz, upper_edge_hertz.
 */
public final class MelWeightMatrix implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        DType dtype = DType.fromOnnx((int) ctx.attrInt("output_datatype", DType.FLOAT.onnxCode()));
        if (!Elements.supported(dtype)) throw ctx.unsupported("output_datatype " + dtype.onnxName());
        Tensor mel = ctx.constantInput(0);
        Tensor dft = ctx.constantInput(1);
        boolean planned = mel != null && dft != null;
        ValueType type = planned ? ValueType.tensor(dtype, Shape.of(dft.getAsLong(0) / 2 + 1, mel.getAsLong(0)))
                : new ValueType.TensorType(dtype, null);
        return Kernel.of(type, rc -> run(rc, dtype, planned));
    }

    private static void run(RunContext rc, DType dtype, boolean planned) {
        int melBins = (int) rc.input(0).getAsLong(0);
        long dftLength = rc.input(1).getAsLong(0);
        double sampleRate = rc.input(2).getAsDouble(0);
        double lower = rc.input(3).getAsDouble(0);
        double upper = rc.input(4).getAsDouble(0);
        int spectrumBins = (int) (dftLength / 2 + 1);
        Tensor y = planned ? rc.output(0) : rc.allocateOutput(0, dtype, Shape.of(spectrumBins, melBins));
        double lowMel = 2595 * Math.log10(1 + lower / 700);
        double highMel = 2595 * Math.log10(1 + upper / 700);
        double step = (highMel - lowMel) / (melBins + 2);
        long[] edges = new long[melBins + 2];
        for (int i = 0; i < edges.length; i++) {
            double hz = 700 * (Math.pow(10, (i * step + lowMel) / 2595) - 1);
            edges[i] = (long) Math.floor((dftLength + 1) * hz / sampleRate);
        }
        double[] w = new double[spectrumBins * melBins];
        for (int i = 0; i < melBins; i++) {
            long left = edges[i], center = edges[i + 1], right = edges[i + 2];
            if (center == left) {
                w[(int) center * melBins + i] = 1;
            } else {
                for (long j = left; j <= center; j++) w[(int) j * melBins + i] = (double) (j - left) / (center - left);
            }
            for (long j = center; j < right; j++) w[(int) j * melBins + i] = (double) (right - j) / (right - center);
        }
        for (int k = 0; k < w.length; k++) Elements.put(y.data(), dtype, k, w[k]);
    }
}
