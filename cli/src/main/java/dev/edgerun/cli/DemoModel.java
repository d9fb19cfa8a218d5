package dev.edgerun.cli;

import dev.edgerun.finetune.nn.Activation;
import dev.edgerun.finetune.nn.Conv2d;
import dev.edgerun.finetune.nn.Dense;
import dev.edgerun.finetune.nn.Network;
import dev.edgerun.finetune.nn.Pool2d;
import dev.edgerun.finetune.nn.Reshape;
import java.util.List;
import java.util.Random;

/**
 * The demo's small CNN for 8x8 digits, trained from scratch with Edgerun's own training code:
 * Conv 1→8 3x3, Relu, MaxPool 2 → (8, 4, 4); Conv 8→16 3x3, Relu, Flatten → 256; Gemm 256→32, Relu;
 * Gemm 32→classes. About 10 k parameters; the weights are seeded so every run sees the same numbers.
 */
final class DemoModel {
    static final int[] INPUT = {1, 8, 8};
    static final int HIDDEN = 32;

    private DemoModel() {}

    static Network build(int classes, long seed) {
        Random r = new Random(seed);
        return new Network(List.of(
                Conv2d.init("conv1", 1, 8, 3, r), Activation.relu(), Pool2d.maxPool(2),
                Conv2d.init("conv2", 8, 16, 3, r), Activation.relu(), Reshape.flatten(),
                Dense.init("fc1", 16 * 4 * 4, HIDDEN, r), Activation.relu(),
                Dense.init("fc2", HIDDEN, classes, r)), INPUT);
    }

    static String describe() {
        return "Conv 1->8 3x3, Relu, MaxPool 2, Conv 8->16 3x3, Relu, Flatten, Gemm 256->32, Relu, Gemm 32->classes";
    }
}
