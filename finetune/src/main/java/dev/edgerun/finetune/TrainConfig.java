package dev.edgerun.finetune;

import dev.edgerun.finetune.nn.Optimizer;
import dev.edgerun.finetune.nn.Schedule;

/**
 * Hyper-parameters of one training run.
 *
 * @param epochs         passes over the training samples
 * @param batch          mini-batch size
 * @param lr             base learning rate
 * @param optimizer      SGD (with momentum), Adam or AdamW
 * @param momentum       SGD momentum
 * @param weightDecay    L2 (SGD, Adam) or decoupled (AdamW) decay of weights
 * @param schedule       learning rate per epoch
 * @param valSplit       fraction of samples held out for validation (0: none)
 * @param patience       epochs without a better validation loss before stopping (0: never stop early)
 * @param seed           seed of the split, the shuffles and new weights
 * @param labelSmoothing cross-entropy label smoothing
 * @param classWeights   per-class loss weights (null: all 1)
 */
public record TrainConfig(int epochs, int batch, double lr, Optimizer.Kind optimizer, float momentum, float weightDecay,
                          Schedule schedule, double valSplit, int patience, long seed, float labelSmoothing,
                          float[] classWeights) {

    public TrainConfig {
        if (epochs <= 0) throw new IllegalArgumentException("epochs must be > 0, got " + epochs);
        if (batch <= 0) throw new IllegalArgumentException("batch must be > 0, got " + batch);
        if (!(lr > 0)) throw new IllegalArgumentException("learning rate must be > 0, got " + lr);
        if (valSplit < 0 || valSplit >= 1) throw new IllegalArgumentException("validation split must be in [0, 1), got " + valSplit);
        if (patience < 0) throw new IllegalArgumentException("patience must be >= 0, got " + patience);
    }

    public static TrainConfig defaults() {
        return new TrainConfig(30, 32, 1e-3, Optimizer.Kind.ADAM, 0.9f, 0f, Schedule.parse("cosine"), 0.1, 5, 42, 0f, null);
    }

    public TrainConfig withEpochs(int e) {
        return new TrainConfig(e, batch, lr, optimizer, momentum, weightDecay, schedule, valSplit, patience, seed, labelSmoothing, classWeights);
    }

    public TrainConfig withLr(double v) {
        return new TrainConfig(epochs, batch, v, optimizer, momentum, weightDecay, schedule, valSplit, patience, seed, labelSmoothing, classWeights);
    }

    public TrainConfig withValSplit(double v, int p) {
        return new TrainConfig(epochs, batch, lr, optimizer, momentum, weightDecay, schedule, v, p, seed, labelSmoothing, classWeights);
    }

    public TrainConfig withBatch(int b) {
        return new TrainConfig(epochs, b, lr, optimizer, momentum, weightDecay, schedule, valSplit, patience, seed, labelSmoothing, classWeights);
    }

    public TrainConfig withOptimizer(Optimizer.Kind o, float wd) {
        return new TrainConfig(epochs, batch, lr, o, momentum, wd, schedule, valSplit, patience, seed, labelSmoothing, classWeights);
    }

    public TrainConfig withSeed(long s) {
        return new TrainConfig(epochs, batch, lr, optimizer, momentum, weightDecay, schedule, valSplit, patience, s, labelSmoothing, classWeights);
    }
}
