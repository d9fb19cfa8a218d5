package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.kernels.KernelProvider.ConvSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which direct float convolutions run on nhwc copies of their 16-channel blocks: dense, larger than
 * 1x1, both channel counts multiples of 16, from 10 MFLOP (ResNet-18's direct 3x3 layers, not
 * digits_cnn's tiny ones, MobileNetV2's pointwise or depthwise ones, or 24-channel layers).
 */
class OneDnnNhwcDirectRuleTest {

    @ParameterizedTest(name = "{0}->{1} {2}x{2} stride {3} @{4}, group {5} -> nhwc {6}")
    @CsvSource({
        "512, 512, 3, 1, 7, 1, true",     // ResNet-18 layer4, 231 MFLOP
        "64, 128, 3, 2, 56, 1, true",     // layer2.0.conv1, 116 MFLOP
        "64, 96, 3, 2, 20, 1, true",      // 11 MFLOP
        "16, 32, 3, 1, 8, 1, false",      // digits_cnn, 0.6 MFLOP
        "32, 32, 3, 1, 4, 1, false",      // digits_cnn, 0.3 MFLOP
        "24, 48, 3, 1, 56, 1, false",     // 24 channels pad a block
        "256, 512, 1, 2, 14, 1, false",   // 1x1
        "144, 144, 3, 1, 56, 144, false", // depthwise
    })
    void denseLayersOfWholeBlocksAndTenMegaflops(int in, int out, int k, int stride, int size, int group, boolean nhwc) {
        assumeTrue(NativeKernelRules.isX86(), "the rule applies on x86-64 only");
        int outSize = (size + 2 * (k / 2) - k) / stride + 1;
        ConvSpec spec = new ConvSpec(DType.FLOAT, new long[] {1, in, size, size}, new long[] {out, in / group, k, k},
                new long[] {1, out, outSize, outSize}, group, new int[] {stride, stride},
                new int[] {k / 2, k / 2}, new int[] {1, 1}, null, null);
        assertEquals(nhwc, NativeKernelRules.oneDnnNhwcDirect(spec), spec.toString());
    }
}
