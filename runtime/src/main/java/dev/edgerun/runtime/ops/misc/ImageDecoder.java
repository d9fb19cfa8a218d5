package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import javax.imageio.ImageIO;

/**
 * ONNX ImageDecoder (opset 20): decodes an encoded image (uint8 bytes) into [H, W, 3] RGB or BGR,
 * or [H, W, 1] grayscale (ITU-R 601 weights with Pillow's fixed-point rounding). Formats: those
 * javax.imageio reads (BMP, JPEG, PNG, GIF, TIFF) plus binary and ASCII PNM; JPEG 2000 and WebP
 * fail at run time with an error naming the format.
 */
public final class ImageDecoder implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (ctx.inputDType(0) != DType.UINT8) throw ctx.error("input must be uint8 bytes, got " + ctx.inputDType(0).onnxName());
        String format = ctx.attrString("pixel_format", "RGB");
        if (!format.equals("RGB") && !format.equals("BGR") && !format.equals("Grayscale")) {
            throw ctx.error("pixel_format must be RGB, BGR or Grayscale, got '" + format + "'");
        }
        String label = ctx.node().label();
        return Kernel.of(new ValueType.TensorType(DType.UINT8, null), rc -> {
            byte[] bytes = rc.input(0).toByteArray();
            int[][] rgb = decode(bytes, label); // [height][width * 3]
            int h = rgb.length, w = h == 0 ? 0 : rgb[0].length / 3;
            boolean gray = format.equals("Grayscale");
            Tensor out = rc.allocateOutput(0, DType.UINT8, Shape.of(h, w, gray ? 1 : 3));
            MemorySegment y = out.data();
            long at = 0;
            for (int[] row : rgb) {
                for (int x = 0; x < w; x++) {
                    int r = row[3 * x], g = row[3 * x + 1], b = row[3 * x + 2];
                    if (gray) {
                        y.set(ValueLayout.JAVA_BYTE, at++, (byte) ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16));
                    } else if (format.equals("BGR")) {
                        y.set(ValueLayout.JAVA_BYTE, at++, (byte) b);
                        y.set(ValueLayout.JAVA_BYTE, at++, (byte) g);
                        y.set(ValueLayout.JAVA_BYTE, at++, (byte) r);
                    } else {
                        y.set(ValueLayout.JAVA_BYTE, at++, (byte) r);
                        y.set(ValueLayout.JAVA_BYTE, at++, (byte) g);
                        y.set(ValueLayout.JAVA_BYTE, at++, (byte) b);
                    }
                }
            }
        });
    }

    /** The pixels as rows of interleaved R, G, B. */
    static int[][] decode(byte[] bytes, String label) {
        if (bytes.length > 2 && bytes[0] == 'P' && bytes[1] >= '1' && bytes[1] <= '6') return Pnm.decode(bytes, label);
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            throw new EdgerunException(label + ": cannot decode the image: " + e.getMessage(), e);
        }
        if (image == null) {
            throw new EdgerunException(label + ": image format not supported by the native engine (it reads BMP, JPEG, PNG, GIF,"
                    + " TIFF and PNM; not JPEG 2000 or WebP); the first bytes are " + hex(bytes));
        }
        int h = image.getHeight(), w = image.getWidth();
        int[][] rows = new int[h][3 * w];
        boolean oneBand = image.getRaster().getNumBands() == 1 && image.getColorModel().getNumComponents() == 1;
        int[] sample = new int[4];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (oneBand) { // gray: the stored value, not a color-managed conversion
                    int v = image.getRaster().getPixel(x, y, sample)[0];
                    rows[y][3 * x] = rows[y][3 * x + 1] = rows[y][3 * x + 2] = v;
                } else {
                    int argb = image.getRGB(x, y);
                    rows[y][3 * x] = (argb >> 16) & 0xFF;
                    rows[y][3 * x + 1] = (argb >> 8) & 0xFF;
                    rows[y][3 * x + 2] = argb & 0xFF;
                }
            }
        }
        return rows;
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(8, b.length); i++) s.append(String.format("%02x", b[i]));
        return s.toString();
    }

    /** Netpbm P1-P6 (maxval up to 255). */
    private static final class Pnm {
        private final byte[] b;
        private int at = 2;

        private Pnm(byte[] b) {
            this.b = b;
        }

        static int[][] decode(byte[] bytes, String label) {
            Pnm p = new Pnm(bytes);
            int kind = bytes[1] - '0';
            int w = p.number(), h = p.number();
            int max = kind == 1 || kind == 4 ? 1 : p.number();
            if (max <= 0 || max > 255) throw new EdgerunException(label + ": PNM maxval " + max + " not supported");
            p.at++; // the single whitespace before binary data
            int[][] rows = new int[h][3 * w];
            int bitRowBytes = (w + 7) / 8;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int r, g, bl;
                    switch (kind) {
                        case 1 -> { p.at--; r = g = bl = p.number() == 1 ? 0 : 255; }
                        case 2 -> { p.at--; r = g = bl = scale(p.number(), max); }
                        case 3 -> { p.at--; r = scale(p.number(), max); g = scale(p.number(), max); bl = scale(p.number(), max); }
                        case 4 -> r = g = bl = ((bytes[p.at + y * bitRowBytes + x / 8] >> (7 - x % 8)) & 1) == 1 ? 0 : 255;
                        case 5 -> r = g = bl = scale(bytes[p.at + y * w + x] & 0xFF, max);
                        default -> {
                            int o = p.at + 3 * (y * w + x);
                            r = scale(bytes[o] & 0xFF, max);
                            g = scale(bytes[o + 1] & 0xFF, max);
                            bl = scale(bytes[o + 2] & 0xFF, max);
                        }
                    }
                    rows[y][3 * x] = r;
                    rows[y][3 * x + 1] = g;
                    rows[y][3 * x + 2] = bl;
                }
            }
            return rows;
        }

        private static int scale(int v, int max) {
            return max == 255 ? v : (v * 255 + max / 2) / max;
        }

        /** The next decimal number, skipping whitespace and # comments; leaves {@code at} just past it. */
        private int number() {
            while (at < b.length) {
                if (b[at] == '#') {
                    while (at < b.length && b[at] != '\n') at++;
                } else if (Character.isWhitespace(b[at])) {
                    at++;
                } else {
                    break;
                }
            }
            int v = 0;
            while (at < b.length && b[at] >= '0' && b[at] <= '9') v = v * 10 + (b[at++] - '0');
            return v;
        }
    }
}
