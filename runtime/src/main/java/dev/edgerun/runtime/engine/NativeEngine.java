package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.Engine;
import dev.edgerun.runtime.EngineUnavailableException;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.kernels.Vectors;

/** The native engine: Edgerun's own executor and Java kernels. Found through {@link java.util.ServiceLoader}. */
public final class NativeEngine implements Engine {

    @Override
    public String name() {
        return ExecEnv.ENGINE;
    }

    /**
     * Available when the JVM has the Vector API module: the Java kernels, the scalar ones included
     * (edgerun.vectorBits=0), are classes that name its types, and without the module the first of
     * them to load throws NoClassDefFoundError. The detail says which kernels will run.
     */
    @Override
    public Availability availability() {
        return vectorModuleLoaded() ? Availability.yes(kernelDescription()) : Availability.no(MISSING_VECTOR_MODULE);
    }

    static final String MISSING_VECTOR_MODULE = "the native engine needs the Vector API module: start java with "
            + "--add-modules jdk.incubator.vector (the edgerun launcher does)";

    static boolean vectorModuleLoaded() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    static String kernelDescription() {
        try {
            int bits = Vectors.BITS;
            return bits == 0 ? "scalar Java kernels (edgerun.vectorBits=0)" : "Vector API kernels, " + bits + "-bit";
        } catch (LinkageError e) {
            return "scalar Java kernels (Vector API unusable: " + e + ")";
        }
    }

    @Override
    public Session compile(Model model, SessionOptions options) {
        if (!vectorModuleLoaded()) throw new EngineUnavailableException(MISSING_VECTOR_MODULE);
        return new NativeSession(model, options, OperatorSource.registry());
    }
}
