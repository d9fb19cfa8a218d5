package dev.edgerun.runtime.ops.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ops.misc.OpHarness;
import dev.edgerun.runtime.ops.reduce.Reduce;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The attribute forms of older opsets (before values moved to inputs), which the node tests barely cover. */
class LegacyFormsTest {

    private static float[] iota(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return v;
    }

    @Test
    void sliceBeforeOpset10ReadsAttributes() {
        try (OpHarness h = new OpHarness(); Tensor x = Tensor.of(iota(12), 3, 4)) {
            Node n = Node.builder("Slice").inputs("x").outputs("y").attribute("starts", new long[] {1, 1})
                    .attribute("ends", new long[] {1000, -1}).attribute("axes", new long[] {0, 1}).build();
            Tensor y = h.run1(new Slice(), n, 9, x);
            assertEquals(Shape.of(2, 2), y.shape());
            assertArrayEquals(new float[] {5, 6, 9, 10}, y.toFloatArray());
        }
    }

    @Test
    void padBeforeOpset11ReadsPadsAndValue() {
        try (OpHarness h = new OpHarness(); Tensor x = Tensor.of(new float[] {1, 2}, 1, 2)) {
            Node n = Node.builder("Pad").inputs("x").outputs("y").attribute("pads", new long[] {0, 1, 0, 2}).attribute("value", 7f).build();
            assertArrayEquals(new float[] {7, 1, 2, 7, 7}, h.run1(new Pad(), n, 2, x).toFloatArray());
        }
    }

    @Test
    void upsample7ReadsScalesFromTheAttribute() {
        try (OpHarness h = new OpHarness(); Tensor x = Tensor.of(new float[] {1, 2}, 1, 2)) {
            Node n = Node.builder("Upsample").inputs("x").outputs("y").attribute("scales", new float[] {2, 1.5f}).build();
            Tensor y = h.run1(new Resize(true), n, 7, x);
            assertEquals(Shape.of(2, 3), y.shape());
            assertArrayEquals(new float[] {1, 1, 2, 1, 1, 2}, y.toFloatArray());
        }
    }

    @Test
    void splitSqueezeUnsqueezeAndTopKAttributes() {
        try (OpHarness h = new OpHarness(); Tensor x = Tensor.of(new float[] {3, 1, 4, 1, 5}, 1, 5)) {
            Node split = Node.builder("Split").inputs("x").outputs("a", "b").attribute("axis", 1L).attribute("split", new long[] {2, 3}).build();
            List<Object> parts = h.run(new Split(), split, 11, x);
            assertArrayEquals(new float[] {4, 1, 5}, ((Tensor) parts.get(1)).toFloatArray());
            Node squeeze = Node.builder("Squeeze").inputs("x").outputs("y").attribute("axes", new long[] {0}).build();
            assertEquals(Shape.of(5), h.run1(new Squeeze(), squeeze, 11, x).shape());
            Node unsqueeze = Node.builder("Unsqueeze").inputs("x").outputs("y").attribute("axes", new long[] {-1, 0}).build();
            assertEquals(Shape.of(1, 1, 5, 1), h.run1(new Unsqueeze(), unsqueeze, 11, x).shape());
            Node topk = Node.builder("TopK").inputs("x").outputs("v", "i").attribute("k", 3L).build();
            List<Object> top = h.run(new TopK(), topk, 1, x);
            assertArrayEquals(new float[] {5, 4, 3}, ((Tensor) top.get(0)).toFloatArray());
            assertArrayEquals(new long[] {4, 2, 0}, ((Tensor) top.get(1)).toLongArray());
            Node mean = Node.builder("ReduceMean").inputs("x").outputs("y").attribute("axes", new long[] {1}).attribute("keepdims", 0L).build();
            assertArrayEquals(new float[] {2.8f}, h.run1(new Reduce(Reduce.Kind.MEAN), mean, 13, x).toFloatArray(), 1e-6f);
            Node reshape = Node.builder("Reshape").inputs("x").outputs("y").attribute("shape", new long[] {5, -1}).build();
            assertEquals(Shape.of(5, 1), h.run1(new Reshape(), reshape, 1, x).shape());
        }
    }
}
