package dev.edgerun.finetune;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/** The JSON report and the PNG plot of loss and accuracy per epoch written beside a fine-tuned model. */
public final class TrainingReport {
    private TrainingReport() {}

    public static void write(FinetuneJob.Result r, TrainConfig c) {
        try {
            Files.writeString(r.report(), json(r, c));
            plot(r.outcome().history(), r.plot());
        } catch (IOException e) {
            throw new UncheckedIOException(r.report() + ": " + e.getMessage(), e);
        }
    }

    static String json(FinetuneJob.Result r, TrainConfig c) {
        StringBuilder b = new StringBuilder("{\n");
        field(b, "model", str(r.output().toString()));
        field(b, "cut", str(r.plan().cut()));
        field(b, "cut_automatic", Boolean.toString(r.plan().automatic()));
        field(b, "frozen_output", str(r.plan().frozen()));
        field(b, "unfrozen_layers", Integer.toString(r.plan().unfrozen()));
        field(b, "network", str(r.network()));
        field(b, "classes", Labels.encode(r.classes()));
        field(b, "samples", Integer.toString(r.samples()));
        field(b, "train_samples", Integer.toString(r.outcome().trainCount()));
        field(b, "validation_samples", Integer.toString(r.outcome().valCount()));
        field(b, "skipped_files", Integer.toString(r.skipped().size()));
        field(b, "feature_size", Integer.toString(r.featureSize()));
        field(b, "features_cached", Boolean.toString(r.featuresCached()));
        field(b, "feature_seconds", num(r.featureSeconds()));
        field(b, "train_seconds", num(r.trainSeconds()));
        field(b, "optimizer", str(c.optimizer().name().toLowerCase(Locale.ROOT)));
        field(b, "learning_rate", num(c.lr()));
        field(b, "batch", Integer.toString(c.batch()));
        field(b, "epochs_requested", Integer.toString(c.epochs()));
        field(b, "best_epoch", Integer.toString(r.outcome().bestEpoch()));
        field(b, "stopped_early", Boolean.toString(r.outcome().stoppedEarly()));
        field(b, "resumed_epochs", Integer.toString(r.outcome().resumedEpochs()));
        b.append("  \"history\": [");
        List<Trainer.Epoch> h = r.outcome().history();
        for (int i = 0; i < h.size(); i++) {
            Trainer.Epoch e = h.get(i);
            b.append(i > 0 ? "," : "").append(String.format(Locale.ROOT,
                    "\n    {\"epoch\": %d, \"lr\": %s, \"train_loss\": %s, \"train_accuracy\": %s, \"val_loss\": %s, \"val_accuracy\": %s, \"seconds\": %s}",
                    e.epoch(), num(e.lr()), num(e.trainLoss()), num(e.trainAccuracy()), num(e.valLoss()), num(e.valAccuracy()), num(e.seconds())));
        }
        return b.append("\n  ]\n}\n").toString();
    }

    /** Two panels, loss and accuracy per epoch, training in blue and validation in orange. */
    public static void plot(List<Trainer.Epoch> history, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 900, h = 360;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            panel(g, history, 10, "loss", Trainer.Epoch::trainLoss, Trainer.Epoch::valLoss, false);
            panel(g, history, w / 2 + 5, "accuracy", Trainer.Epoch::trainAccuracy, Trainer.Epoch::valAccuracy, true);
        } finally {
            g.dispose();
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        ImageIO.write(img, "png", tmp.toFile());
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static void panel(Graphics2D g, List<Trainer.Epoch> h, int x0, String title, ToDoubleFunction<Trainer.Epoch> train,
                              ToDoubleFunction<Trainer.Epoch> val, boolean unit) {
        int left = x0 + 50, top = 30, pw = 380, ph = 280;
        double max = unit ? 1 : 0;
        for (Trainer.Epoch e : h) {
            max = Math.max(max, train.applyAsDouble(e));
            if (!Double.isNaN(val.applyAsDouble(e))) max = Math.max(max, val.applyAsDouble(e));
        }
        if (max <= 0) max = 1;
        g.setColor(Color.BLACK);
        g.drawString(title + " per epoch", left, top - 10);
        g.drawRect(left, top, pw, ph);
        for (int i = 0; i <= 4; i++) {
            int y = top + ph - i * ph / 4;
            g.setColor(new Color(230, 230, 230));
            g.drawLine(left + 1, y, left + pw - 1, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.2f", max * i / 4), x0, y + 4);
        }
        g.drawString("epoch 1.." + h.size(), left + pw - 70, top + ph + 16);
        line(g, h, train, new Color(31, 119, 180), left, top, pw, ph, max);
        line(g, h, val, new Color(255, 127, 14), left, top, pw, ph, max);
        g.setColor(new Color(31, 119, 180));
        g.drawString("train", left, top + ph + 16);
        g.setColor(new Color(255, 127, 14));
        g.drawString("validation", left + 42, top + ph + 16);
    }

    private static void line(Graphics2D g, List<Trainer.Epoch> h, ToDoubleFunction<Trainer.Epoch> f, Color c, int left, int top,
                             int pw, int ph, double max) {
        g.setColor(c);
        g.setStroke(new BasicStroke(2f));
        int px = -1, py = -1;
        for (int i = 0; i < h.size(); i++) {
            double v = f.applyAsDouble(h.get(i));
            if (Double.isNaN(v)) continue;
            int x = left + (h.size() == 1 ? pw / 2 : i * pw / (h.size() - 1));
            int y = top + ph - (int) Math.round(v / max * ph);
            if (px >= 0) g.drawLine(px, py, x, y);
            else g.fillOval(x - 2, y - 2, 4, 4);
            px = x;
            py = y;
        }
        g.setStroke(new BasicStroke(1f));
    }

    private static void field(StringBuilder b, String key, String value) {
        b.append("  \"").append(key).append("\": ").append(value).append(",\n");
    }

    private static String str(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static String num(double d) {
        return Double.isFinite(d) ? String.format(Locale.ROOT, "%.6g", d) : "null";
    }
}
