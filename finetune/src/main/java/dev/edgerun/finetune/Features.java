package dev.edgerun.finetune;

import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.io.Npy;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;

/**
 * The frozen backbone's output for every sample, computed once on an engine (native or ONNX
 * Runtime) and optionally cached on disk under a key of the model, the cut and the input data.
 *
 * @param data  (count, shape...)
 * @param shape one sample's feature shape
 */
public record Features(float[] data, int[] shape, int count) {

    public int size() {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** Runs {@code frozen} (one input) over {@code inputs} ((n, sample...)) in batches of {@code batch}. */
    public static Features compute(Model frozen, float[] inputs, int[] sampleShape, int n, SessionOptions options, int batch) {
        if (frozen.graph().requiredInputs().size() != 1) {
            throw new FinetuneException("the frozen backbone reads " + frozen.graph().requiredInputs().size()
                    + " inputs; fine-tuning supports models with one input");
        }
        Value input = frozen.graph().requiredInputs().get(0);
        long fixedBatch = input.shape().rank() > 0 ? input.shape().dim(0) : -1;
        int step = fixedBatch > 0 ? (int) fixedBatch : Math.max(1, batch);
        int per = 1;
        for (int d : sampleShape) per *= d;
        float[] out = null;
        int[] featShape = null;
        try (Session s = Edgerun.session(frozen, options)) {
            for (int start = 0; start < n; start += step) {
                int count = Math.min(step, n - start);
                float[] chunk = new float[step * per]; // padded to a fixed batch when the model has one
                System.arraycopy(inputs, start * per, chunk, 0, count * per);
                int rows = fixedBatch > 0 ? step : count;
                long[] dims = new long[sampleShape.length + 1];
                dims[0] = rows;
                for (int i = 0; i < sampleShape.length; i++) dims[i + 1] = sampleShape[i];
                try (Tensor x = Tensor.of(Arrays.copyOf(chunk, rows * per), dims); RunResult r = s.run(Map.of(input.name(), x))) {
                    Tensor y = r.get(0);
                    float[] v = y.toFloatArrayConverted();
                    int f = v.length / rows;
                    if (out == null) {
                        out = new float[n * f];
                        int[] yd = y.shape().intDims();
                        featShape = yd.length <= 1 ? new int[] {f} : Arrays.copyOfRange(yd, 1, yd.length);
                    }
                    System.arraycopy(v, 0, out, start * f, count * f);
                }
            }
        }
        return new Features(out, featShape, n);
    }

    /** A cache key: SHA-256 of the base model file, the cut tensor, the engine and the input data. */
    public static String key(Path baseModel, String frozenTensor, String engine, float[] inputs) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            if (baseModel != null && Files.isRegularFile(baseModel)) md.update(Files.readAllBytes(baseModel));
            md.update((frozenTensor + "|" + engine).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            ByteBuffer b = ByteBuffer.allocate(inputs.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(inputs);
            md.update(b.array());
            return HexFormat.of().formatHex(md.digest(), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(baseModel + ": " + e.getMessage(), e);
        }
    }

    /** The cached features under {@code key} in {@code dir}, or null. */
    public static Features load(Path dir, String key) {
        Path f = dir.resolve("features-" + key + ".npy");
        if (!Files.isRegularFile(f)) return null;
        try (Tensor t = Npy.read(f)) {
            int[] d = t.shape().intDims();
            return new Features(t.toFloatArray(), Arrays.copyOfRange(d, 1, d.length), d[0]);
        } catch (RuntimeException e) {
            return null; // a damaged cache entry is recomputed
        }
    }

    /** Writes the features atomically (temporary file, then rename). */
    public void store(Path dir, String key) {
        try {
            Files.createDirectories(dir);
            Path f = dir.resolve("features-" + key + ".npy");
            Path tmp = dir.resolve("features-" + key + ".npy.tmp");
            long[] dims = new long[shape.length + 1];
            dims[0] = count;
            for (int i = 0; i < shape.length; i++) dims[i + 1] = shape[i];
            try (Tensor t = Tensor.of(data, dims)) {
                Npy.write(t, tmp);
            }
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot write the feature cache: " + e.getMessage(), e);
        }
    }
}
