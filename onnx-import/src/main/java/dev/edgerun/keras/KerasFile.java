package dev.edgerun.keras;

import dev.edgerun.runtime.ModelFormatException;
import io.jhdf.HdfFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * An open Keras file of either container: the model configuration (parsed JSON), the Keras version
 * that wrote it, and its weights.
 *
 * <ul>
 *   <li>{@code .keras} (Keras 3): a zip holding {@code config.json}, {@code metadata.json} and
 *       {@code model.weights.h5}. Entries are read through counted, size-limited streams (the
 *       sizes in zip headers are not trusted), and any entry name that would escape the archive's
 *       folder is refused.</li>
 *   <li>{@code .h5} (tf.keras 2, Keras 3 legacy writer): one HDF5 file with the configuration in
 *       the root attribute {@code model_config} and the weights under {@code model_weights}.</li>
 * </ul>
 */
final class KerasFile implements AutoCloseable {
    private static final long MAX_JSON_BYTES = 64L << 20;
    private static final byte[] ZIP_MAGIC = {'P', 'K', 3, 4};
    private static final byte[] HDF5_MAGIC = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

    final Path path;
    final Map<String, Object> modelConfig;
    final String kerasVersion;
    final String container;
    final WeightStore weights;
    private final HdfFile hdf;

    private KerasFile(Path path, Map<String, Object> modelConfig, String kerasVersion, String container,
                      HdfFile hdf, WeightStore weights) {
        this.path = path;
        this.modelConfig = modelConfig;
        this.kerasVersion = kerasVersion;
        this.container = container;
        this.hdf = hdf;
        this.weights = weights;
    }

    /** Whether the file starts like a zip (Keras 3) or an HDF5 file (Keras 2). */
    static boolean looksLikeKeras(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(8);
            return startsWith(head, ZIP_MAGIC) || startsWith(head, HDF5_MAGIC);
        } catch (IOException e) {
            return false;
        }
    }

    static KerasFile open(Path file) {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(8);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (startsWith(head, ZIP_MAGIC)) return openKeras3(file);
        if (startsWith(head, HDF5_MAGIC)) return openH5(file);
        throw new ModelFormatException(file + ": neither a Keras 3 .keras zip nor a Keras HDF5 file (first bytes "
                + java.util.HexFormat.of().formatHex(head) + ")");
    }

    private static KerasFile openKeras3(Path file) {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            checkEntryNames(zip, file);
            String config = text(zip, "config.json", file);
            String metadata = zip.getEntry("metadata.json") == null ? "{}" : text(zip, "metadata.json", file);
            ZipEntry w = zip.getEntry("model.weights.h5");
            if (w == null) throw new ModelFormatException(file + ": no model.weights.h5 entry in the .keras archive");
            Map<String, Object> modelConfig = Json.parseObject(config, file + "!config.json");
            Map<String, Object> meta = Json.parseObject(metadata, file + "!metadata.json");
            String version = String.valueOf(meta.getOrDefault("keras_version", "3"));
            byte[] weightBytes = read(zip, w, weightLimit(), file);
            checkNotTruncated(java.nio.ByteBuffer.wrap(weightBytes), weightBytes.length, file + "!model.weights.h5");
            HdfFile hdf = openHdf(() -> HdfFile.fromBytes(weightBytes), file + "!model.weights.h5");
            Hdf5 h5 = new Hdf5(hdf, file + "!model.weights.h5", 4L * weightBytes.length + (1 << 20));
            return new KerasFile(file, modelConfig, version, "keras", hdf, new Keras3Weights(h5));
        } catch (IOException e) {
            throw new ModelFormatException(file + ": not a readable zip archive: " + e.getMessage(), e);
        }
    }

    private static KerasFile openH5(Path file) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(128);
            ch.read(head, 0);
            head.flip();
            checkNotTruncated(head, ch.size(), file.toString());
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
        HdfFile hdf = openHdf(() -> new HdfFile(file), file.toString());
        try {
            long size = Files.size(file);
            Hdf5 h5 = new Hdf5(hdf, file.toString(), 4L * size + (1 << 20));
            Object cfg = h5.attribute(hdf, "model_config");
            if (cfg == null) {
                throw new ModelFormatException(file + ": HDF5 file has no 'model_config' attribute: it holds weights"
                        + " only (model.save_weights); save the whole model with model.save() to import it");
            }
            if (!(cfg instanceof String json)) {
                throw new ModelFormatException(file + ": 'model_config' attribute is not a string");
            }
            Object version = h5.attribute(hdf, "keras_version");
            String root = h5.find("model_weights") != null ? "model_weights" : "";
            return new KerasFile(file, Json.parseObject(json, file + "@model_config"),
                    version == null ? "2" : String.valueOf(version), "h5", hdf, new LegacyH5Weights(h5, root));
        } catch (IOException | RuntimeException e) {
            hdf.close();
            if (e instanceof ModelFormatException m) throw m;
            throw new ModelFormatException(file + ": cannot read HDF5 file: " + e, e);
        }
    }

    /**
     * Compares the end-of-file address in the HDF5 superblock (at offset 0, where Keras writes it)
     * with the real size, so that a truncated file fails here rather than as a read past the end
     * somewhere in a weight.
     */
    static void checkNotTruncated(java.nio.ByteBuffer head, long size, String where) {
        java.nio.ByteBuffer b = head.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if (b.limit() < 16) throw new ModelFormatException(where + ": truncated HDF5 file (" + size + " bytes)");
        int version = b.get(8) & 0xff;
        int offsetSize;
        int pos;
        if (version <= 1) {
            offsetSize = b.get(13) & 0xff;
            pos = 24 + (version == 1 ? 4 : 0); // fixed fields, then base address, free space, end of file
            pos += offsetSize * 2;
        } else if (version <= 3) {
            offsetSize = b.get(9) & 0xff;
            pos = 12 + offsetSize * 2; // base address, superblock extension, end of file
        } else {
            return; // a newer superblock: leave it to the reader
        }
        if (offsetSize != 8 && offsetSize != 4) throw new ModelFormatException(where + ": HDF5 superblock has offset size " + offsetSize);
        if (pos + offsetSize > b.limit()) throw new ModelFormatException(where + ": truncated HDF5 superblock");
        long eof = offsetSize == 8 ? b.getLong(pos) : b.getInt(pos) & 0xffffffffL;
        if (eof > size) {
            throw new ModelFormatException(where + ": truncated HDF5 file: its superblock says " + eof
                    + " bytes, the file has " + size);
        }
    }

    private interface HdfOpener {
        HdfFile open();
    }

    private static HdfFile openHdf(HdfOpener opener, String where) {
        try {
            return opener.open();
        } catch (RuntimeException e) {
            throw new ModelFormatException(where + ": not a readable HDF5 file: " + e, e);
        }
    }

    private static void checkEntryNames(ZipFile zip, Path file) {
        Enumeration<? extends ZipEntry> entries = zip.entries();
        while (entries.hasMoreElements()) {
            String n = entries.nextElement().getName();
            String norm = n.replace('\\', '/');
            if (norm.startsWith("/") || norm.contains(":") || ("/" + norm + "/").contains("/../")) {
                throw new ModelFormatException(file + ": zip entry '" + n + "' escapes the archive's folder");
            }
        }
    }

    private static String text(ZipFile zip, String name, Path file) throws IOException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) throw new ModelFormatException(file + ": no " + name + " entry in the .keras archive");
        return new String(read(zip, e, MAX_JSON_BYTES, file), StandardCharsets.UTF_8);
    }

    /** Inflates one entry, refusing to go past {@code limit} bytes whatever the header claims. */
    private static byte[] read(ZipFile zip, ZipEntry e, long limit, Path file) throws IOException {
        try (InputStream in = zip.getInputStream(e)) {
            byte[] data = in.readNBytes((int) Math.min(limit, Integer.MAX_VALUE - 16));
            if (in.read() != -1) {
                throw new ModelFormatException(file + ": zip entry '" + e.getName() + "' inflates to more than "
                        + limit + " bytes (a zip bomb, or a model too large to import in memory)");
            }
            return data;
        } catch (java.util.zip.ZipException z) {
            throw new ModelFormatException(file + ": zip entry '" + e.getName() + "' is corrupt: " + z.getMessage(), z);
        }
    }

    /** Weights are inflated into memory: at most a third of the heap and 2 GiB. */
    private static long weightLimit() {
        return Math.min(Runtime.getRuntime().maxMemory() / 3, Integer.MAX_VALUE - 16);
    }

    private static boolean startsWith(byte[] a, byte[] prefix) {
        if (a.length < prefix.length) return false;
        for (int i = 0; i < prefix.length; i++) if (a[i] != prefix[i]) return false;
        return true;
    }

    @Override
    public void close() {
        hdf.close();
    }
}
