package dev.edgerun.finetune;

import dev.edgerun.finetune.nn.Optimizer;
import dev.edgerun.finetune.nn.Param;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The training state after an epoch: weights, optimizer moments, history and the best epoch's
 * weights. Written to a temporary file beside the target and renamed over it, so a killed process
 * leaves either the previous checkpoint or the new one, never a torn file.
 */
public final class Checkpoint {
    private static final String MAGIC = "edgerun-finetune-checkpoint-1";

    private Checkpoint() {}

    /** Where training stands; {@code best} is null when no epoch has finished. */
    public record State(int epochsDone, List<Trainer.Epoch> history, int bestEpoch, double bestLoss, int badEpochs,
                        float[][] best) {}

    public static void write(Path file, List<Param> params, Optimizer opt, State s) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
                out.writeUTF(MAGIC);
                out.writeInt(s.epochsDone());
                out.writeLong(opt.steps());
                out.writeInt(s.bestEpoch());
                out.writeDouble(s.bestLoss());
                out.writeInt(s.badEpochs());
                out.writeInt(params.size());
                for (int i = 0; i < params.size(); i++) {
                    Param p = params.get(i);
                    out.writeUTF(p.name());
                    out.writeInt(p.size());
                    floats(out, p.value);
                    float[][] m = opt.state(p);
                    floats(out, m[0]);
                    floats(out, m[1]);
                    floats(out, s.best()[i]);
                }
                out.writeInt(s.history().size());
                for (Trainer.Epoch e : s.history()) {
                    out.writeInt(e.epoch());
                    for (double d : new double[] {e.lr(), e.trainLoss(), e.trainAccuracy(), e.valLoss(), e.valAccuracy(), e.seconds()}) {
                        out.writeDouble(d);
                    }
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new FinetuneException(file + ": cannot write the checkpoint: " + e.getMessage(), e);
        }
    }

    /** Reads {@code file} into {@code params} and {@code opt}; the parameters must match by name and size. */
    public static State read(Path file, List<Param> params, Optimizer opt) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (!MAGIC.equals(in.readUTF())) throw new FinetuneException(file + ": not an Edgerun fine-tuning checkpoint");
            int epochs = in.readInt();
            long steps = in.readLong();
            int bestEpoch = in.readInt();
            double bestLoss = in.readDouble();
            int bad = in.readInt();
            int count = in.readInt();
            if (count != params.size()) {
                throw new FinetuneException(file + ": checkpoint holds " + count + " parameters, this run trains " + params.size()
                        + " (same --base, --cut, --head and --unfreeze are needed to resume)");
            }
            float[][] best = new float[count][];
            for (int i = 0; i < count; i++) {
                Param p = params.get(i);
                String name = in.readUTF();
                int size = in.readInt();
                if (!name.equals(p.name()) || size != p.size()) {
                    throw new FinetuneException(file + ": parameter " + i + " is " + name + " (" + size + " values), expected "
                            + p.name() + " (" + p.size() + ")");
                }
                readFloats(in, p.value);
                float[][] m = opt.state(p);
                readFloats(in, m[0]);
                readFloats(in, m[1]);
                best[i] = new float[size];
                readFloats(in, best[i]);
            }
            opt.restore(steps);
            int h = in.readInt();
            List<Trainer.Epoch> history = new ArrayList<>();
            for (int i = 0; i < h; i++) {
                int e = in.readInt();
                double[] d = new double[6];
                for (int k = 0; k < 6; k++) d[k] = in.readDouble();
                history.add(new Trainer.Epoch(e, d[0], d[1], d[2], d[3], d[4], d[5]));
            }
            return new State(epochs, history, bestEpoch, bestLoss, bad, best);
        } catch (IOException e) {
            throw new FinetuneException(file + ": cannot read the checkpoint: " + e.getMessage(), e);
        }
    }

    private static void floats(DataOutputStream out, float[] v) throws IOException {
        for (float f : v) out.writeFloat(f);
    }

    private static void readFloats(DataInputStream in, float[] v) throws IOException {
        for (int i = 0; i < v.length; i++) v[i] = in.readFloat();
    }
}
