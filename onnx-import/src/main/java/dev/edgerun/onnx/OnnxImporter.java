package dev.edgerun.onnx;

import dev.edgerun.runtime.ModelImporter;
import dev.edgerun.runtime.ir.Model;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** The ONNX {@link ModelImporter}: files ending in {@code .onnx}, or that start like a ModelProto. */
public final class OnnxImporter implements ModelImporter {

    @Override
    public String format() {
        return "onnx";
    }

    @Override
    public boolean canRead(Path file) {
        String name = file.getFileName().toString().toLowerCase();
        if (name.endsWith(".onnx")) return true;
        if (name.endsWith(".h5") || name.endsWith(".keras") || name.endsWith(".npy") || name.endsWith(".pb")) return false;
        return startsLikeModelProto(file);
    }

    /** ModelProto files written by every known exporter begin with field 1 (ir_version), a varint. */
    private static boolean startsLikeModelProto(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            int first = in.read();
            int version = in.read();
            return first == 0x08 && version > 0 && version < 64;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public Model read(Path file) {
        return OnnxModels.read(file);
    }
}
