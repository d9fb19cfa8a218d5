package dev.edgerun.onnx;

import dev.edgerun.onnx.proto.Onnx.StringStringEntryProto;
import dev.edgerun.onnx.proto.Onnx.TensorProto;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Tensor data stored beside the model file (ONNX external data: {@code data_location = EXTERNAL}
 * with {@code location}, {@code offset}, {@code length} keys). Each side file is memory-mapped once
 * into the model's arena, so weights cost page cache rather than heap; a tensor whose offset is not
 * 64-byte aligned is copied into aligned memory instead.
 *
 * <p>Locations resolve strictly inside the model's folder: an absolute path, a {@code ..} escape,
 * or a symbolic link leading out of the folder is a {@link ModelFormatException}.
 */
final class ExternalData {
    private final Path folder; // null when the model was not read from a file
    private final Arena arena;
    private final Map<Path, MemorySegment> mapped = new HashMap<>();

    ExternalData(Path folder, Arena arena) {
        this.folder = folder == null ? null : folder.toAbsolutePath().normalize();
        this.arena = arena;
    }

    /** The tensor's bytes, checked against its layout and the side file's size. */
    Tensor tensor(TensorProto p, TensorDecoder.Layout l, String where) {
        Map<String, String> keys = keys(p);
        String location = keys.get("location");
        if (location == null || location.isEmpty()) {
            throw new ModelFormatException(where + ": external data has no 'location' key; keys: " + keys.keySet());
        }
        if (l.dtype() == dev.edgerun.runtime.DType.STRING) {
            throw new ModelFormatException(where + ": string tensors cannot use external data");
        }
        Path file = resolve(location, where);
        MemorySegment whole = map(file, location, where);
        long offset = number(keys, "offset", 0, where);
        long length = number(keys, "length", whole.byteSize() - offset, where);
        if (offset < 0 || length < 0 || offset > whole.byteSize() || length > whole.byteSize() - offset) {
            throw new ModelFormatException(where + ": external data offset " + offset + " + length " + length
                    + " lies past the end of '" + location + "' (" + whole.byteSize() + " bytes)");
        }
        if (length != l.bytes()) {
            throw new ModelFormatException(where + ": external data in '" + location + "' has " + length
                    + " bytes, but " + l.describe() + " needs " + l.bytes() + " bytes");
        }
        MemorySegment data = whole.asSlice(offset, length);
        if (data.address() % Tensor.ALIGNMENT != 0) {
            MemorySegment aligned = arena.allocate(Math.max(length, 1), Tensor.ALIGNMENT).asSlice(0, length);
            aligned.copyFrom(data);
            data = aligned;
        }
        return Tensor.wrap(l.dtype(), l.shape(), data);
    }

    private static Map<String, String> keys(TensorProto p) {
        Map<String, String> keys = new HashMap<>();
        for (StringStringEntryProto e : p.getExternalDataList()) keys.put(e.getKey(), e.getValue());
        return keys;
    }

    private static long number(Map<String, String> keys, String key, long absent, String where) {
        String v = keys.get(key);
        if (v == null || v.isEmpty()) return absent;
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new ModelFormatException(where + ": external data '" + key + "' is not an integer: '" + v + "'");
        }
    }

    /** The side file, which must lie inside the model folder (after following links). */
    private Path resolve(String location, String where) {
        if (folder == null) {
            throw new ModelFormatException(where + ": external data '" + location
                    + "' needs the model's folder; read the model from a file path, not from bytes or a stream");
        }
        Path relative;
        try {
            relative = Path.of(location);
        } catch (InvalidPathException e) {
            throw new ModelFormatException(where + ": external data location '" + location + "' is not a valid path");
        }
        if (relative.isAbsolute() || location.startsWith("/") || location.startsWith("\\")
                || location.matches("^[A-Za-z]:.*")) {
            throw new ModelFormatException(where + ": external data location '" + location
                    + "' is an absolute path; it must be relative to the model folder " + folder);
        }
        Path file = folder.resolve(relative).normalize();
        if (!file.startsWith(folder)) {
            throw new ModelFormatException(where + ": external data location '" + location
                    + "' escapes the model folder " + folder + " (through '..')");
        }
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(where + ": external data file '" + location + "' not found in " + folder);
        }
        try {
            if (!file.toRealPath().startsWith(folder.toRealPath())) {
                throw new ModelFormatException(where + ": external data location '" + location
                        + "' is a link leading out of the model folder " + folder + " (to " + file.toRealPath() + ")");
            }
        } catch (IOException e) {
            throw new ModelFormatException(where + ": cannot resolve external data '" + location + "': " + e, e);
        }
        return file;
    }

    private MemorySegment map(Path file, String location, String where) {
        MemorySegment seg = mapped.get(file);
        if (seg != null) return seg;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (IOException e) {
            throw new ModelFormatException(where + ": cannot map external data '" + location + "': " + e, e);
        }
        mapped.put(file, seg);
        return seg;
    }
}
