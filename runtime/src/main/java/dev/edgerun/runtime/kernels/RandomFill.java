package dev.edgerun.runtime.kernels;

import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * The random source of the random operators: a fresh generator from {@code seed} for every run
 * when the node has a seed (so a seeded node repeats its values run after run), else the
 * thread's own generator.
 */
public final class RandomFill {
    private RandomFill() {}

    /** The generator for one run: seeded when {@code seeded}, else thread-local. */
    public static RandomGenerator generator(boolean seeded, long seed) {
        return seeded ? new SplittableRandom(seed) : ThreadLocalRandom.current();
    }

    /** A uniform value in [low, high). */
    public static double uniform(RandomGenerator g, double low, double high) {
        return low + (high - low) * g.nextDouble();
    }

    /** A normal value of the given mean and standard deviation. */
    public static double normal(RandomGenerator g, double mean, double scale) {
        return mean + scale * g.nextGaussian();
    }
}
