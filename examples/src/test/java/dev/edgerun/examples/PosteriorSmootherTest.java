package dev.edgerun.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class PosteriorSmootherTest {

    @Test
    void averagesTheLastWindowsOnly() {
        PosteriorSmoother s = new PosteriorSmoother(2, 3);
        assertArrayEquals(new float[] {1, 0}, s.add(new float[] {1, 0}).clone(), 1e-6f);
        assertArrayEquals(new float[] {0.5f, 0.5f}, s.add(new float[] {0, 1}).clone(), 1e-6f);
        assertArrayEquals(new float[] {1 / 3f, 2 / 3f}, s.add(new float[] {0, 1}).clone(), 1e-6f);
        // the first window leaves the ring: (0,1), (0,1), (0,1)
        assertArrayEquals(new float[] {0, 1}, s.add(new float[] {0, 1}).clone(), 1e-6f);
        assertArrayEquals(new float[] {0.2f / 3, 2.8f / 3}, s.add(new float[] {0.2f, 0.8f}).clone(), 1e-6f);
    }
}
