package dev.edgerun.runtime;

import dev.edgerun.runtime.ir.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The entry point: load a model with whichever importer reads it, and compile it on an engine.
 *
 * <pre>{@code
 * try (Model model = Edgerun.load(Path.of("model.onnx"));
 *      Session session = Edgerun.session(model, SessionOptions.builder().engine("native").build());
 *      Tensor x = Tensor.of(new float[64], 1, 64);
 *      RunResult out = session.run(Map.of("input", x))) {
 *     float[] y = out.get("output").toFloatArray();
 * }
 * }</pre>
 */
public final class Edgerun {
    private Edgerun() {}

    /** Every engine on the class path, available here or not. */
    public static List<Engine> engines() {
        List<Engine> r = new ArrayList<>();
        for (Engine e : ServiceLoader.load(Engine.class)) r.add(e);
        return r;
    }

    /** The engine called {@code name}; an {@link EngineUnavailableException} says which exist. */
    public static Engine engine(String name) {
        List<String> names = new ArrayList<>();
        for (Engine e : engines()) {
            if (e.name().equals(name)) return e;
            names.add(e.name());
        }
        String hint = name.equals("onnxruntime")
                ? " (add the edgerun-devices module and com.microsoft.onnxruntime:onnxruntime to the class path)" : "";
        throw new EngineUnavailableException("no engine '" + name + "' on the class path; found " + names + hint);
    }

    public static List<ModelImporter> importers() {
        List<ModelImporter> r = new ArrayList<>();
        for (ModelImporter i : ServiceLoader.load(ModelImporter.class)) r.add(i);
        return r;
    }

    /** Reads a model file with the first importer that recognises it. */
    public static Model load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file + ": no such file");
        }
        List<String> formats = new ArrayList<>();
        for (ModelImporter i : importers()) {
            if (i.canRead(file)) return i.read(file);
            formats.add(i.format());
        }
        throw new ModelFormatException(file + ": no importer recognises this file; importers on the class path: "
                + formats);
    }

    /** Compiles {@code model} on the engine named in {@code options}. */
    public static Session session(Model model, SessionOptions options) {
        Engine engine = engine(options.engine());
        Engine.Availability a = engine.availability();
        if (!a.available()) {
            throw new EngineUnavailableException("engine '" + engine.name() + "' cannot run here: " + a.detail());
        }
        return engine.compile(model, options);
    }
}
