package dev.edgerun.keras;

import dev.edgerun.runtime.ModelFormatException;
import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The few HDF5 reads the Keras importer needs, over jhdf. Every jhdf failure (a truncated or
 * inconsistent file shows up as all kinds of runtime exceptions) becomes a
 * {@link ModelFormatException} naming the file and the object; dataset sizes are checked against
 * a budget before any data is read, so a hostile header cannot exhaust memory.
 */
final class Hdf5 {
    private static final long MAX_ATTRIBUTE_BYTES = 64L << 20;
    private final HdfFile file;
    private final String where;
    private long bytesLeft;

    Hdf5(HdfFile file, String where, long byteBudget) {
        this.file = file;
        this.where = where;
        this.bytesLeft = byteBudget;
    }

    String where() {
        return where;
    }

    /** The node at {@code path}, or null when there is none. */
    Node find(String path) {
        // Walks the children maps: jhdf's getByPath fails oddly for a missing path in an in-memory file.
        return guard(path, () -> {
            Node n = file;
            for (String part : path.split("/")) {
                if (part.isEmpty()) continue;
                if (!(n instanceof Group g)) return null;
                n = g.getChildren().get(part);
                if (n == null) return null;
            }
            return n;
        });
    }

    Group group(String path) {
        Node n = find(path);
        if (n instanceof Group g) return g;
        throw new ModelFormatException(where + ": expected an HDF5 group at '" + path + "', found "
                + (n == null ? "nothing" : "a dataset"));
    }

    /** Child names of a group, in the file's order. */
    List<String> children(Group g) {
        return guard(g.getPath(), () -> new ArrayList<>(g.getChildren().keySet()));
    }

    /** A string (or list of strings) attribute; null when absent. */
    Object attribute(Node node, String name) {
        return guard(node.getPath() + "@" + name, () -> {
            Attribute a = node.getAttribute(name);
            if (a == null) return null;
            if (a.getSizeInBytes() > MAX_ATTRIBUTE_BYTES) {
                throw new ModelFormatException(where + ": attribute '" + name + "' of '" + node.getPath() + "' claims "
                        + a.getSizeInBytes() + " bytes, more than the " + MAX_ATTRIBUTE_BYTES + " a Keras file uses");
            }
            Object v = a.getData();
            if (v instanceof byte[] b) return new String(b, java.nio.charset.StandardCharsets.UTF_8);
            return v;
        });
    }

    /** A list-of-strings attribute (Keras' {@code weight_names}, {@code layer_names}); empty when absent. */
    List<String> stringList(Node node, String name) {
        Object v = attribute(node, name);
        List<String> r = new ArrayList<>();
        if (v == null) return r;
        if (v instanceof String s) {
            r.add(s);
        } else if (v instanceof Object[] arr) {
            for (Object o : arr) r.add(o instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8) : String.valueOf(o));
        } else {
            throw new ModelFormatException(where + ": attribute '" + name + "' of '" + node.getPath()
                    + "' should hold strings, found " + v.getClass().getSimpleName());
        }
        return r;
    }

    /** Reads a numeric dataset as float32. */
    Weight weight(Node node, String label) {
        if (!(node instanceof Dataset ds)) {
            throw new ModelFormatException(where + ": expected a weight dataset at '" + node.getPath() + "'");
        }
        return guard(node.getPath(), () -> {
            int[] dims = ds.isScalar() ? new int[0] : ds.getDimensions();
            long count = 1;
            for (int d : dims) {
                if (d < 0) throw new ModelFormatException(where + ": negative dimension in '" + node.getPath() + "'");
                count = Math.multiplyExact(count, d);
            }
            if (count > Integer.MAX_VALUE - 8 || count * 4 > bytesLeft) {
                throw new ModelFormatException(where + ": weight '" + node.getPath() + "' claims " + count
                        + " elements, more than the file can hold (" + bytesLeft + " bytes of weight budget left)");
            }
            bytesLeft -= count * 4;
            float[] data = toFloats(ds.isScalar() ? ds.getData() : ds.getDataFlat(), node.getPath());
            if (data.length != count) {
                throw new ModelFormatException(where + ": weight '" + node.getPath() + "' holds " + data.length
                        + " values for " + count + " elements");
            }
            long[] shape = new long[dims.length];
            for (int i = 0; i < dims.length; i++) shape[i] = dims[i];
            return new Weight(label, shape, data);
        });
    }

    private float[] toFloats(Object data, String path) {
        return switch (data) {
            case float[] f -> f;
            case double[] d -> {
                float[] r = new float[d.length];
                for (int i = 0; i < d.length; i++) r[i] = (float) d[i];
                yield r;
            }
            case int[] a -> {
                float[] r = new float[a.length];
                for (int i = 0; i < a.length; i++) r[i] = a[i];
                yield r;
            }
            case long[] a -> {
                float[] r = new float[a.length];
                for (int i = 0; i < a.length; i++) r[i] = a[i];
                yield r;
            }
            case Float f -> new float[] {f};
            case Double d -> new float[] {d.floatValue()};
            case Integer i -> new float[] {i};
            case Long l -> new float[] {l};
            default -> throw new ModelFormatException(where + ": weight '" + path + "' has unsupported element type "
                    + data.getClass().getSimpleName());
        };
    }

    /** Runs a jhdf read, turning any failure of a malformed file into a ModelFormatException. */
    private <T> T guard(String path, Supplier<T> read) {
        try {
            return read.get();
        } catch (ModelFormatException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            throw new ModelFormatException(where + ": cannot read HDF5 object '" + path + "': " + e, e);
        }
    }
}
