package dev.edgerun.runtime.kernels;

/**
 * Prints, for each of {@link F32DepthwiseTest#SPLIT_SHAPES}, "bytes N kernel": the fewest bytes
 * 200 split calls allocated. Run in a JVM of its own by {@link F32DepthwiseTest}, so that only the
 * 512-bit vectors of a session's kernels have run in it.
 */
public final class F32DepthwiseAllocationProbe {
    private F32DepthwiseAllocationProbe() {}

    public static void main(String[] args) {
        for (F32DepthwiseTest.Case c : F32DepthwiseTest.SPLIT_SHAPES) {
            System.out.println("bytes " + F32DepthwiseTest.leastSplitBytes(c) + " " + c.name());
        }
    }
}
