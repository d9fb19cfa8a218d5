package dev.edgerun.cli;

import dev.edgerun.finetune.FinetuneJob;
import dev.edgerun.finetune.Head;
import dev.edgerun.finetune.TrainConfig;
import dev.edgerun.finetune.Trainer;
import dev.edgerun.finetune.nn.Optimizer;
import dev.edgerun.finetune.nn.Schedule;
import dev.edgerun.runtime.data.Augmentation;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code edgerun finetune --base MODEL --data DIR -o OUT.onnx}: transfer learning on a labelled
 * folder. Writes OUT.onnx, OUT.report.json, OUT.curves.png and the checkpoint OUT.onnx.ckpt.
 */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = "Train a new classifier head (and optionally the last layers) of a model on a labelled data folder; "
                + "writes one ONNX model with the class names in its metadata, a JSON report and a PNG of the curves.")
final class FinetuneCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    PreprocessingOptions preprocessing;

    @Option(names = "--base", paramLabel = "MODEL", required = true, description = "the model to start from (.onnx or any importable format)")
    Path base;

    @Option(names = "--data", paramLabel = "DIR", required = true,
            description = "labelled data: class subfolders, images.npy + labels.npy, or test_data_set_* with labels.npy")
    Path data;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT.onnx", required = true, description = "the ONNX model to write")
    Path output;

    @Option(names = "--cut", paramLabel = "TENSOR", description = "tensor the new head reads (default: the input of the final classifier Gemm/MatMul)")
    String cut;

    @Option(names = "--head", paramLabel = "linear|mlp:H", defaultValue = "linear", description = "new head (default: ${DEFAULT-VALUE})")
    String head;

    @Option(names = "--unfreeze", paramLabel = "K", defaultValue = "0", description = "also train the last K weighted layers before the cut (default: ${DEFAULT-VALUE})")
    int unfreeze;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "30", description = "default: ${DEFAULT-VALUE}")
    int epochs;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "32", description = "mini-batch size (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--lr", paramLabel = "X", defaultValue = "0.001", description = "learning rate (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--optimizer", paramLabel = "adam|adamw|sgd", defaultValue = "adam", description = "default: ${DEFAULT-VALUE}")
    String optimizer;

    @Option(names = "--momentum", paramLabel = "X", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE})")
    float momentum;

    @Option(names = "--weight-decay", paramLabel = "X", defaultValue = "0", description = "default: ${DEFAULT-VALUE}")
    float weightDecay;

    @Option(names = "--schedule", paramLabel = "cosine|constant|step:N:G", defaultValue = "cosine", description = "learning rate schedule (default: ${DEFAULT-VALUE})")
    String schedule;

    @Option(names = "--val-split", paramLabel = "X", defaultValue = "0.1", description = "fraction held out for validation (default: ${DEFAULT-VALUE})")
    double valSplit;

    @Option(names = "--patience", paramLabel = "N", defaultValue = "5", description = "early stopping: epochs without a better validation loss (0: off; default: ${DEFAULT-VALUE})")
    int patience;

    @Option(names = "--label-smoothing", paramLabel = "X", defaultValue = "0", description = "default: ${DEFAULT-VALUE}")
    float labelSmoothing;

    @Option(names = "--class-weights", paramLabel = "W,W,...", split = ",", description = "loss weight per class, in class order")
    List<Float> classWeights = new ArrayList<>();

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "seed of the split, shuffles and new weights (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--resume", paramLabel = "FILE", description = "continue from a checkpoint (OUT.onnx.ckpt is written after every epoch)")
    Path resume;

    @Option(names = "--cache", paramLabel = "DIR", description = "feature cache folder (default: .edgerun-cache beside the output)")
    Path cache;

    @Option(names = "--no-cache", description = "do not cache the frozen features on disk")
    boolean noCache;

    @Option(names = "--augment", paramLabel = "SPEC",
            description = "random changes to training samples: shift:P, flip, brightness:B (images); timeshift:S, gain:DB, noise:A (audio); comma-separated")
    String augment;

    @Option(names = "--augment-copies", paramLabel = "N", defaultValue = "4",
            description = "augmented copies of each training sample, computed once with the features (default: ${DEFAULT-VALUE})")
    int augmentCopies;

    @Option(names = "--quiet", description = "no progress bar")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TrainConfig config = new TrainConfig(epochs, batch, lr, Optimizer.Kind.parse(optimizer), momentum, weightDecay,
                Schedule.parse(schedule), valSplit, patience, seed, labelSmoothing, weights());
        Path cacheDir = noCache ? null : cache != null ? cache : output.toAbsolutePath().resolveSibling(".edgerun-cache");
        FinetuneJob job = new FinetuneJob(base, data, output, cut, Head.parse(head), unfreeze, config, preprocessing.overrides(),
                preprocessing.strict, common.sessionOptions(), cacheDir, resume,
                augment == null ? null : Augmentation.parse(augment), augment == null ? 0 : augmentCopies);
        PrintWriter logTo = common.json ? err : out;
        FinetuneJob.Result r = job.run(line -> { logTo.println(line); logTo.flush(); },
                quiet || common.json ? Trainer.Progress.NONE : new ProgressBar(err));
        if (common.json) out.println(Files.readString(r.report()).strip());
        else printSummary(out, r);
        out.flush();
        return Main.OK;
    }

    private float[] weights() {
        if (classWeights.isEmpty()) return null;
        float[] w = new float[classWeights.size()];
        for (int i = 0; i < w.length; i++) w[i] = classWeights.get(i);
        return w;
    }

    private static void printSummary(PrintWriter out, FinetuneJob.Result r) throws java.io.IOException {
        Trainer.Epoch best = r.outcome().history().get(Math.max(0, r.outcome().bestEpoch() - 1));
        out.printf(Locale.ROOT, "trained %d epochs in %.2f s%s; kept epoch %d: train accuracy %.1f%%%s%n",
                r.outcome().history().size() - r.outcome().resumedEpochs(), r.trainSeconds(),
                r.outcome().stoppedEarly() ? " (stopped early)" : "", best.epoch(), 100 * best.trainAccuracy(),
                Double.isNaN(best.valAccuracy()) ? "" : String.format(Locale.ROOT, ", validation accuracy %.1f%% on %d samples",
                        100 * best.valAccuracy(), r.outcome().valCount()));
        out.printf("wrote %s (%s), classes %s%n", r.output(), Format.bytes(Files.size(r.output())), r.classes());
        out.printf("report %s, curves %s, checkpoint %s%n", r.report(), r.plot(), r.checkpoint());
    }

    /** One line redrawn in place: epoch, a bar over the epoch's batches, running loss and accuracy. */
    static final class ProgressBar implements Trainer.Progress {
        private static final int WIDTH = 24;
        private final PrintWriter err;
        private long lastDraw;

        ProgressBar(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void batch(int epoch, int epochs, int done, int total, double loss, double accuracy) {
            long now = System.nanoTime();
            if (done < total && now - lastDraw < 100_000_000L) return;
            lastDraw = now;
            int filled = (int) ((long) WIDTH * done / total);
            err.printf(Locale.ROOT, "\repoch %d/%d [%s%s] loss %.4f acc %.1f%%", epoch + 1, epochs, "#".repeat(filled),
                    ".".repeat(WIDTH - filled), loss, 100 * accuracy);
            err.flush();
        }

        @Override
        public void epoch(Trainer.Epoch e, int epochs) {
            err.printf(Locale.ROOT, "\repoch %d/%d [%s] loss %.4f acc %.1f%%%s  %.2f s%n", e.epoch(), epochs, "#".repeat(WIDTH),
                    e.trainLoss(), 100 * e.trainAccuracy(), Double.isNaN(e.valLoss()) ? ""
                            : String.format(Locale.ROOT, " | val loss %.4f acc %.1f%%", e.valLoss(), 100 * e.valAccuracy()), e.seconds());
            err.flush();
        }
    }
}
