package dev.edgerun.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.edgerun.onnx.proto.Onnx.ModelProto;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.ir.Model;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads ONNX models into the IR and writes the IR back as ONNX.
 *
 * <pre>{@code
 * try (Model model = OnnxModels.read(Path.of("model.onnx"))) {
 *     System.out.println(model.graph().inputs());
 *     OnnxModels.write(model, Path.of("copy.onnx"));
 * }
 * }</pre>
 *
 * <p><b>Memory.</b> A model read here owns its initializers: they live in one arena (64-byte
 * aligned, off-heap; external data memory-mapped) that {@link Model#close()} frees. The model's
 * {@link Model#source()} is the original file (or bytes), so an engine can use it while the model
 * is unchanged.
 *
 * <p><b>Validation.</b> A malformed file is a {@link ModelFormatException} that names the file and
 * where in it: a protobuf that does not parse, a missing graph, a node input that nothing
 * produces, a value produced twice, tensor data that does not fill its shape, negative dims,
 * unknown data types, external data outside the model's folder or past the end of its file.
 *
 * <p><b>Round trip.</b> {@link #write} keeps every node, attribute, initializer, opset import,
 * metadata entry, model-local function and value_info. Not kept: quantization annotations,
 * metadata_props of graphs/nodes/values/tensors, training info, multi-device configurations, and
 * the sparse form of sparse initializers (they are read dense and written dense).
 */
public final class OnnxModels {
    /** Models with more initializer bytes than this are written with external data. */
    public static final long EXTERNAL_DATA_THRESHOLD = 2L << 30;

    private OnnxModels() {}

    /**
     * Reads a model file; its external data is resolved inside the file's folder. The file is
     * parsed from a memory mapping that is unmapped as soon as the model is built (the model holds
     * copies of its inline tensors), so its pages do not stay resident until a garbage collection.
     */
    public static Model read(Path file) {
        Path folder = file.toAbsolutePath().getParent();
        try (Arena parseBuffer = Arena.ofConfined()) {
            ModelProto proto = parse(file, parseBuffer);
            return convert(proto, file.getFileName().toString(), folder, new Model.Source("onnx", file, null));
        }
    }

    /**
     * Reads a serialized model; external data cannot be resolved (there is no folder). The array
     * becomes the model's {@link Model#source()} without a copy: do not change it afterwards.
     */
    public static Model read(byte[] bytes) {
        return convert(parse(bytes, "<bytes>"), "<bytes>", null, new Model.Source("onnx", null, bytes));
    }

    /** Reads a serialized model from a stream (to its end; the stream is not closed). */
    public static Model read(InputStream in) {
        byte[] bytes;
        try {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading an ONNX model stream failed", e);
        }
        return convert(parse(bytes, "<stream>"), "<stream>", null, new Model.Source("onnx", null, bytes));
    }

    /**
     * Reads a model from the class path, e.g. {@code "models/mlp.onnx"}: looked up through the
     * thread's context class loader, then through the loader of this library.
     */
    public static Model readResource(String classpathResource) {
        String name = classpathResource.startsWith("/") ? classpathResource.substring(1) : classpathResource;
        try (InputStream in = openResource(name)) {
            if (in == null) throw new ModelFormatException(classpathResource + ": no such class path resource");
            byte[] bytes = in.readAllBytes();
            return convert(parse(bytes, name), name, null, new Model.Source("onnx", null, bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("reading class path resource " + classpathResource + " failed", e);
        }
    }

    private static InputStream openResource(String name) {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        InputStream in = context == null ? null : context.getResourceAsStream(name);
        return in != null ? in : OnnxModels.class.getClassLoader().getResourceAsStream(name);
    }

    /** The model as ONNX bytes, every tensor inline (the model must fit protobuf's 2 GiB). */
    public static byte[] write(Model model) {
        long bytes = OnnxWriter.initializerBytes(model);
        if (bytes > EXTERNAL_DATA_THRESHOLD) {
            throw new IllegalArgumentException("the model's initializers take " + bytes + " bytes, more than one"
                    + " protobuf message may hold; write it to a file with write(Model, Path), which uses external data");
        }
        return OnnxWriter.toProto(model, null).toByteArray();
    }

    /**
     * Writes the model to {@code file}. Models whose initializers exceed
     * {@link #EXTERNAL_DATA_THRESHOLD} bytes keep their tensors in {@code <file name>.data} beside it.
     */
    public static void write(Model model, Path file) {
        long bytes = OnnxWriter.initializerBytes(model);
        write(model, file, bytes > EXTERNAL_DATA_THRESHOLD);
    }

    /**
     * Writes the model to {@code file}; with {@code externalData} true, every tensor of at least
     * 1 KiB goes to {@code <file name>.data} beside it (page-aligned offsets, so it can be mapped).
     */
    public static void write(Model model, Path file, boolean externalData) {
        OnnxWriter.write(model, file, externalData);
    }

    /** The parsed protobuf of a model file, for tools that need fields the IR does not keep. */
    public static ModelProto parse(Path file) {
        return parse(file, null);
    }

    /**
     * Parses straight from the mapped file: tensor bytes alias the mapping until they are copied.
     * With {@code mapping} null the mapping lives as long as the returned proto; otherwise it is
     * unmapped when that arena closes, after which the proto's bytes must not be read (they throw).
     */
    private static ModelProto parse(Path file, Arena mapping) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw new ModelFormatException(file + ": " + size + " bytes, more than a protobuf message may hold (2 GiB);"
                        + " store the weights as external data");
            }
            ByteBuffer mapped = mapping == null ? ch.map(FileChannel.MapMode.READ_ONLY, 0, size)
                    : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, mapping).asByteBuffer();
            return parse(UnsafeByteOperations.unsafeWrap(mapped).newCodedInput(), file.toString());
        } catch (IOException e) {
            if (!Files.exists(file)) throw new ModelFormatException(file + ": no such file", e);
            throw new ModelFormatException(file + ": cannot read: " + e, e);
        }
    }

    static ModelProto parse(byte[] bytes, String where) {
        return parse(UnsafeByteOperations.unsafeWrap(bytes).newCodedInput(), where);
    }

    /**
     * {@code in} must come from a ByteString over bytes that do not change while the proto is in use
     * ({@link UnsafeByteOperations#unsafeWrap}): only then does protobuf alias {@code bytes} fields
     * (tensor data) instead of copying each into a new heap array.
     */
    private static ModelProto parse(CodedInputStream in, String where) {
        in.enableAliasing(true);
        in.setSizeLimit(Integer.MAX_VALUE);
        in.setRecursionLimit(400); // deeply nested Loop/If bodies
        try {
            return ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new ModelFormatException(where + ": not a valid ONNX model (protobuf parse failed: "
                    + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new ModelFormatException(where + ": cannot read: " + e, e);
        }
    }

    private static Model convert(ModelProto proto, String label, Path folder, Model.Source source) {
        Arena arena = Arena.ofShared();
        try {
            return new OnnxReader(label, folder, arena).model(proto, source);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }
}
