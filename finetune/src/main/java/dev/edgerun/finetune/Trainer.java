package dev.edgerun.finetune;

import dev.edgerun.finetune.nn.CrossEntropy;
import dev.edgerun.finetune.nn.Network;
import dev.edgerun.finetune.nn.Optimizer;
import dev.edgerun.finetune.nn.Param;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiConsumer;

/**
 * The training loop: seeded shuffled mini-batches, cross-entropy, the optimizer and schedule of a
 * {@link TrainConfig}, a validation split with early stopping (the best epoch's weights are kept),
 * and an atomic checkpoint after every epoch that {@code resume} continues from.
 */
public final class Trainer {

    /** What one epoch measured; validation values are NaN without a validation split. */
    public record Epoch(int epoch, double lr, double trainLoss, double trainAccuracy, double valLoss, double valAccuracy,
                        double seconds) {}

    /** Progress callbacks (the command line draws its progress bar from them). */
    public interface Progress {
        void batch(int epoch, int epochs, int done, int total, double loss, double accuracy);

        void epoch(Epoch e, int epochs);

        Progress NONE = new Progress() {
            @Override public void batch(int epoch, int epochs, int done, int total, double loss, double accuracy) {}
            @Override public void epoch(Epoch e, int epochs) {}
        };
    }

    /**
     * @param history      every epoch, resumed ones included
     * @param bestEpoch    the epoch whose weights the network holds now (by validation loss; the last without validation)
     * @param stoppedEarly whether early stopping ended training
     */
    public record Outcome(List<Epoch> history, int bestEpoch, boolean stoppedEarly, int trainCount, int valCount,
                          int resumedEpochs) {}

    private Trainer() {}

    /**
     * Trains {@code net} on {@code x} ((n, input...)) with labels {@code y}.
     *
     * @param checkpoint where to write the per-epoch checkpoint (null: none)
     * @param resume     a checkpoint to continue from (null: start fresh)
     * @param augment    applied to each training batch in place ((batch values, random)); null: none
     */
    public static Outcome train(Network net, float[] x, int[] y, int n, TrainConfig c, Path checkpoint, Path resume,
                                Progress progress, BiConsumer<float[], Random> augment) {
        int[][] split = split(n, c.valSplit(), c.seed());
        return train(net, x, y, split[0], split[1], c, checkpoint, resume, progress, augment);
    }

    /** As {@link #train(Network, float[], int[], int, TrainConfig, Path, Path, Progress, BiConsumer)}, with the split given. */
    public static Outcome train(Network net, float[] x, int[] y, int[] train, int[] val, TrainConfig c, Path checkpoint, Path resume,
                                Progress progress, BiConsumer<float[], Random> augment) {
        int per = Network.size(net.inputShape());
        if (train.length == 0) throw new FinetuneException("no training samples left after the validation split of " + c.valSplit());
        Optimizer opt = new Optimizer(c.optimizer(), c.momentum(), c.weightDecay());
        CrossEntropy ce = new CrossEntropy(c.classWeights(), c.labelSmoothing());
        List<Param> params = net.params();
        Checkpoint.State state = resume != null ? Checkpoint.read(resume, params, opt) : new Checkpoint.State(0, new ArrayList<>(), -1,
                Double.POSITIVE_INFINITY, 0, null);
        List<Epoch> history = new ArrayList<>(state.history());
        int bestEpoch = state.bestEpoch();
        double bestLoss = state.bestLoss();
        int bad = state.badEpochs();
        float[][] best = state.best() != null ? state.best() : snapshot(params);
        boolean stopped = false;
        for (int epoch = state.epochsDone(); epoch < c.epochs(); epoch++) {
            long t0 = System.nanoTime();
            float lr = (float) c.schedule().rate(c.lr(), epoch, c.epochs());
            int[] order = shuffled(train, new Random(c.seed() * 1_000_003L + epoch));
            double lossSum = 0;
            int correct = 0, done = 0;
            Random augRandom = new Random(c.seed() * 7_919L + epoch);
            for (int start = 0; start < order.length; start += c.batch()) {
                int b = Math.min(c.batch(), order.length - start);
                float[] bx = new float[b * per];
                int[] by = new int[b];
                for (int i = 0; i < b; i++) {
                    System.arraycopy(x, order[start + i] * per, bx, i * per, per);
                    by[i] = y[order[start + i]];
                }
                if (augment != null) augment.accept(bx, augRandom);
                net.zeroGrad();
                CrossEntropy.Result r = ce.compute(net.forward(bx, b), by, b);
                net.backward(r.gradient());
                opt.step(params, lr);
                lossSum += r.loss() * b;
                correct += r.correct();
                done += b;
                progress.batch(epoch, c.epochs(), done, order.length, lossSum / done, (double) correct / done);
            }
            double[] v = val.length == 0 ? new double[] {Double.NaN, Double.NaN} : evaluate(net, x, y, val, ce);
            Epoch e = new Epoch(epoch + 1, lr, lossSum / done, (double) correct / done, v[0], v[1], (System.nanoTime() - t0) / 1e9);
            history.add(e);
            double metric = val.length == 0 ? -epoch : v[0];
            if (metric < bestLoss) {
                bestLoss = metric;
                bestEpoch = epoch + 1;
                best = snapshot(params);
                bad = 0;
            } else {
                bad++;
            }
            progress.epoch(e, c.epochs());
            if (checkpoint != null) {
                Checkpoint.write(checkpoint, params, opt, new Checkpoint.State(epoch + 1, history, bestEpoch, bestLoss, bad, best));
            }
            if (c.patience() > 0 && val.length > 0 && bad >= c.patience()) {
                stopped = true;
                break;
            }
        }
        restore(params, best);
        return new Outcome(history, bestEpoch, stopped, train.length, val.length, state.epochsDone());
    }

    /** Mean loss and accuracy of {@code net} on the samples at {@code idx}. */
    static double[] evaluate(Network net, float[] x, int[] y, int[] idx, CrossEntropy ce) {
        int per = Network.size(net.inputShape());
        double loss = 0;
        int correct = 0;
        for (int start = 0; start < idx.length; start += 256) {
            int b = Math.min(256, idx.length - start);
            float[] bx = new float[b * per];
            int[] by = new int[b];
            for (int i = 0; i < b; i++) {
                System.arraycopy(x, idx[start + i] * per, bx, i * per, per);
                by[i] = y[idx[start + i]];
            }
            CrossEntropy.Result r = ce.compute(net.forward(bx, b), by, b);
            loss += r.loss() * b;
            correct += r.correct();
        }
        return new double[] {loss / idx.length, (double) correct / idx.length};
    }

    /** {train indices, validation indices}: a seeded shuffle, the first {@code valSplit} of it held out. */
    static int[][] split(int n, double valSplit, long seed) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        int[] s = shuffled(all, new Random(seed));
        int v = (int) Math.round(n * valSplit);
        return new int[][] {java.util.Arrays.copyOfRange(s, v, n), java.util.Arrays.copyOfRange(s, 0, v)};
    }

    static int[] shuffled(int[] a, Random r) {
        int[] s = a.clone();
        for (int i = s.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = s[i];
            s[i] = s[j];
            s[j] = t;
        }
        return s;
    }

    private static float[][] snapshot(List<Param> params) {
        float[][] s = new float[params.size()][];
        for (int i = 0; i < s.length; i++) s[i] = params.get(i).value.clone();
        return s;
    }

    private static void restore(List<Param> params, float[][] s) {
        for (int i = 0; i < s.length; i++) System.arraycopy(s[i], 0, params.get(i).value, 0, s[i].length);
    }
}
