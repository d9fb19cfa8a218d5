package dev.edgerun.runtime.ops.elementwise;

import static dev.edgerun.runtime.ops.elementwise.NodeRunner.builder;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class DropoutIdentityTest {

    @Test
    void inferenceDropoutIsIdentityWithATrueMask() {
        try (NodeRunner r = new NodeRunner(); Tensor x = Tensor.of(new float[] {1, -2, 3}, 3)) {
            List<Object> out = r.run(builder("Dropout", 1).outputs("mask").build(), 13, x);
            assertArrayEquals(new float[] {1, -2, 3}, ((Tensor) out.get(0)).toFloatArray());
            assertArrayEquals(new boolean[] {true, true, true}, ((Tensor) out.get(1)).toBooleanArray());
        }
    }

    @Test
    void trainingWithRatioZeroIsIdentity() {
        try (NodeRunner r = new NodeRunner();
             Tensor x = Tensor.of(new float[] {1, -2, 3}, 3);
             Tensor ratio = Tensor.scalar(0f);
             Tensor training = Tensor.of(new boolean[] {true})) {
            List<Object> out = r.run(builder("Dropout", 3).outputs("mask").build(), 13, x, ratio, training);
            assertArrayEquals(new float[] {1, -2, 3}, ((Tensor) out.get(0)).toFloatArray());
            assertArrayEquals(new boolean[] {true, true, true}, ((Tensor) out.get(1)).toBooleanArray());
        }
    }

    @Test
    void trainingDropoutZeroesAndScales() {
        float[] ones = new float[1000];
        java.util.Arrays.fill(ones, 1f);
        try (NodeRunner r = new NodeRunner();
             Tensor x = Tensor.of(ones, 1000);
             Tensor ratio = Tensor.scalar(0.25f);
             Tensor training = Tensor.of(new boolean[] {true})) {
            float[] y = ((Tensor) r.run(builder("Dropout", 3).build(), 13, x, ratio, training).get(0)).toFloatArray();
            int kept = 0;
            for (float v : y) {
                assertTrue(v == 0f || Math.abs(v - 1 / 0.75f) < 1e-6, "value " + v);
                if (v != 0) kept++;
            }
            assertTrue(kept > 650 && kept < 850, "kept " + kept + " of 1000 at ratio 0.25");
            assertTrue(r.kernel().nondeterministic());
        }
    }

    @Test
    void mersenneTwisterMatchesNumpy() {
        Mt19937 seeded0 = new Mt19937(0); // np.random.seed(0); np.random.random_sample(3)
        assertEquals(0.5488135039273248, seeded0.nextDouble());
        assertEquals(0.7151893663724195, seeded0.nextDouble());
        assertEquals(0.6027633760716439, seeded0.nextDouble());
        assertEquals(0xD091BB5C, new Mt19937(5489).nextInt(), "MT19937's reference first output");
    }

    @Test
    void seededTrainingDropoutIsReproducible() {
        float[] ones = new float[64];
        java.util.Arrays.fill(ones, 1f);
        try (NodeRunner r = new NodeRunner();
             Tensor x = Tensor.of(ones, 64);
             Tensor ratio = Tensor.scalar(0.5f);
             Tensor training = Tensor.of(new boolean[] {true})) {
            var node = builder("Dropout", 3).attribute("seed", 0L).build();
            float[] first = ((Tensor) r.run(node, 13, x, ratio, training).get(0)).toFloatArray();
            float[] second = ((Tensor) r.run(node, 13, x, ratio, training).get(0)).toFloatArray();
            assertArrayEquals(first, second);
            assertEquals(2f, first[0], "0.5488 >= 0.5: kept and scaled");
            assertEquals(false, r.kernel().nondeterministic());
        }
    }

    @Test
    void identityCopiesTensorsAndPassesSequencesOn() {
        try (NodeRunner r = new NodeRunner(); Tensor x = Tensor.of(new float[] {4, 5}, 2); Tensor z = Tensor.of(new float[] {6}, 1)) {
            Tensor y = (Tensor) r.run(builder("Identity", 1).build(), 16, x).get(0);
            assertArrayEquals(new float[] {4, 5}, y.toFloatArray());
            assertEquals(false, y == x);
            List<Tensor> seq = List.of(x, z);
            assertSame(seq, r.run(builder("Identity", 1).build(), 16, seq).get(0));
        }
    }
}
