package dev.edgerun.runtime;

import dev.edgerun.runtime.ir.Model;
import java.nio.file.Path;

/** A model file format reader, found through {@link java.util.ServiceLoader}. */
public interface ModelImporter {

    /** Short format name: {@code onnx}, {@code keras}. */
    String format();

    /** Whether this importer reads {@code file} (by extension and, where cheap, magic bytes). */
    boolean canRead(Path file);

    /** Reads the file; a malformed file is a {@link ModelFormatException} naming the file and where. */
    Model read(Path file);
}
