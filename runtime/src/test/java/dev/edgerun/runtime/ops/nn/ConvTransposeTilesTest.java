package dev.edgerun.runtime.ops.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ops.misc.OpHarness;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ConvTranspose whose kernel tiles the output (stride equal to the kernel, no pads or dilation),
 * which writes the GEMM's columns straight into the output, against a naive loop; and a near miss
 * (stride larger than the kernel, gaps left at the bias) that takes the general scatter-add.
 */
class ConvTransposeTilesTest {

    /** batch, channels, group, output channels per group, input h and w, kernel h and w, strides h and w, bias. */
    record Case(String name, int n, int c, int group, int mg, int h, int w, int kh, int kw, int sh, int sw, boolean bias) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case("2x2 stride 2 (conv_autoencoder's upsampling)", 1, 8, 1, 4, 5, 6, 2, 2, 2, 2, true),
                new Case("3x2 stride 3x2, batch 2, no bias", 2, 3, 1, 5, 4, 3, 3, 2, 3, 2, false),
                new Case("grouped 2x2 stride 2", 1, 6, 3, 2, 3, 3, 2, 2, 2, 2, true),
                new Case("1x1 stride 1", 1, 4, 1, 3, 3, 5, 1, 1, 1, 1, true),
                new Case("stride 3 over a 2x2 kernel (gaps: general path)", 1, 2, 1, 3, 3, 4, 2, 2, 3, 3, true))
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesNaiveLoop(Case k) {
        Random rnd = new Random(k.name().hashCode());
        int m = k.group() * k.mg(), cg = k.c() / k.group();
        int oh = k.sh() * (k.h() - 1) + k.kh(), ow = k.sw() * (k.w() - 1) + k.kw();
        float[] x = random(rnd, k.n() * k.c() * k.h() * k.w()), wt = random(rnd, k.c() * k.mg() * k.kh() * k.kw());
        float[] bias = random(rnd, m);
        float[] expected = new float[k.n() * m * oh * ow];
        for (int b = 0; b < k.n(); b++) for (int o = 0; o < m; o++) for (int p = 0; p < oh * ow; p++) {
            expected[(b * m + o) * oh * ow + p] = k.bias() ? bias[o] : 0f;
        }
        for (int b = 0; b < k.n(); b++) for (int g = 0; g < k.group(); g++) for (int ci = 0; ci < cg; ci++)
            for (int mo = 0; mo < k.mg(); mo++) for (int i = 0; i < k.h(); i++) for (int j = 0; j < k.w(); j++)
                for (int a = 0; a < k.kh(); a++) for (int e = 0; e < k.kw(); e++) {
                    int ch = g * cg + ci, out = g * k.mg() + mo;
                    expected[((b * m + out) * oh + i * k.sh() + a) * ow + j * k.sw() + e] +=
                            x[((b * k.c() + ch) * k.h() + i) * k.w() + j] * wt[((ch * k.mg() + mo) * k.kh() + a) * k.kw() + e];
                }
        Node node = Node.builder("ConvTranspose").inputs(k.bias() ? new String[] {"x", "w", "b"} : new String[] {"x", "w"})
                .outputs("y").attribute("group", (long) k.group()).attribute("strides", new long[] {k.sh(), k.sw()})
                .attribute("kernel_shape", new long[] {k.kh(), k.kw()}).build();
        try (OpHarness h = new OpHarness(); Tensor tx = Tensor.of(x, k.n(), k.c(), k.h(), k.w());
             Tensor tw = Tensor.of(wt, k.c(), k.mg(), k.kh(), k.kw()); Tensor tb = Tensor.of(bias, m)) {
            for (boolean constant : new boolean[] {false, true}) {
                Tensor y = (Tensor) (k.bias() ? h.run(new ConvTranspose(), node, 11, constant, tx, tw, tb)
                        : h.run(new ConvTranspose(), node, 11, constant, tx, tw)).get(0);
                assertArrayEquals(new long[] {k.n(), m, oh, ow}, y.shape().dims());
                float[] got = y.toFloatArray();
                for (int i = 0; i < expected.length; i++) assertEquals(expected[i], got[i], 1e-4f, "element " + i);
            }
        }
    }

    private static float[] random(Random rnd, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = rnd.nextFloat() * 2 - 1;
        return v;
    }
}
