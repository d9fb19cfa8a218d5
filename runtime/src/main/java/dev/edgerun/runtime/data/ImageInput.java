package dev.edgerun.runtime.data;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Images (PNG, JPEG, BMP, GIF through ImageIO) to one model sample: resize so the image covers the
 * target, center crop, grayscale or RGB, scale, mean/std, NCHW or NHWC.
 */
public final class ImageInput {
    private ImageInput() {}

    public static float[] read(Path file, Preprocessing p) {
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new DataException(file + ": unreadable image: " + e.getMessage(), e);
        }
        if (img == null) throw new DataException(file + ": not an image ImageIO can read (PNG, JPEG, BMP, GIF)");
        return toSample(img, p);
    }

    public static float[] toSample(BufferedImage img, Preprocessing p) {
        int h = p.height() > 0 ? p.height() : img.getHeight();
        int w = p.width() > 0 ? p.width() : img.getWidth();
        BufferedImage fitted = resizeAndCrop(img, h, w);
        int c = p.channels();
        float[] raw = new float[h * w * c]; // (h, w, c), 0..255
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = fitted.getRGB(x, y);
                int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
                int o = (y * w + x) * c;
                if (c == 1) raw[o] = 0.299f * r + 0.587f * g + 0.114f * b;
                else {
                    raw[o] = r;
                    raw[o + 1] = g;
                    raw[o + 2] = b;
                }
            }
        }
        return normalize(raw, h, w, c, p);
    }

    /** Pixel values (h, w, c) as stored (0..255 for images) to a sample: scale, mean/std and layout. */
    public static float[] normalize(float[] hwc, int h, int w, int c, Preprocessing p) {
        float[] out = new float[hwc.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int ch = 0; ch < c; ch++) {
                    float v = (hwc[(y * w + x) * c + ch] * p.scale() - p.meanOf(ch)) / p.stdOf(ch);
                    int o = p.layout() == Preprocessing.Layout.NCHW ? (ch * h + y) * w + x : (y * w + x) * c + ch;
                    out[o] = v;
                }
            }
        }
        return out;
    }

    /** Scales {@code img} so it covers h x w (bilinear), then keeps the centre h x w. */
    static BufferedImage resizeAndCrop(BufferedImage img, int h, int w) {
        if (img.getWidth() == w && img.getHeight() == h) return img;
        double s = Math.max((double) w / img.getWidth(), (double) h / img.getHeight());
        int sw = Math.max(w, (int) Math.round(img.getWidth() * s));
        int sh = Math.max(h, (int) Math.round(img.getHeight() * s));
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(img, -(sw - w) / 2, -(sh - h) / 2, sw, sh, null);
        } finally {
            g.dispose();
        }
        return out;
    }
}
