package dev.edgerun.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.data.AudioInput;
import dev.edgerun.runtime.data.Preprocessing;
import org.junit.jupiter.api.Test;

/** The streaming front end computes the same frames as the file-based AudioInput (what training saw). */
class StreamingFrontEndTest {

    @Test
    void mfccFramesMatchAudioInput() throws Exception {
        compare(true, 10);
    }

    @Test
    void logMelFramesMatchAudioInput() throws Exception {
        compare(false, 40);
    }

    private static void compare(boolean mfcc, int bands) throws Exception {
        AudioInput.Audio a = AudioInput.readWav(Shared.clip("go_stop_go.wav"));
        assertEquals(16000, a.rate());
        Preprocessing p = Preprocessing.imageDefaults(new int[] {49, bands})
                .with("fft", "512").with("hop", "320").with("mels", "40").with("mfcc", "10");
        int frames = 1 + (a.samples().length - 512) / 320;
        float[][] expected = AudioInput.logMel(a.samples(), frames, p);
        if (mfcc) expected = AudioInput.mfcc(expected, 10);

        StreamingFrontEnd fe = new StreamingFrontEnd(16000, 512, 320, 40, bands, mfcc);
        int f = 0;
        double worst = 0;
        for (float s : a.samples()) {
            if (!fe.push(s)) continue;
            for (int b = 0; b < bands; b++) worst = Math.max(worst, Math.abs(fe.frame()[b] - expected[f][b]));
            f++;
        }
        assertEquals(frames, f, "frames produced");
        assertEquals(0, worst, 2e-3, "largest difference to AudioInput");
    }
}
