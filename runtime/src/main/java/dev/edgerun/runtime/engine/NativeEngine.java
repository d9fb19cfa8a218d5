package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.Engine;
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

    /** Always available (it needs only the JDK); the detail says whether vector kernels can be used. */
    @Override
    public Availability availability() {
        return Availability.yes(kernelDescription());
    }

    static String kernelDescription() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return "scalar Java kernels (start the JVM with --add-modules jdk.incubator.vector for the Vector API)";
        }
        try {
            int bits = Vectors.BITS;
            return bits == 0 ? "scalar Java kernels (edgerun.vectorBits=0)" : "Vector API kernels, " + bits + "-bit";
        } catch (LinkageError e) {
            return "scalar Java kernels (Vector API unusable: " + e + ")";
        }
    }

    @Override
    public Session compile(Model model, SessionOptions options) {
        return new NativeSession(model, options, OperatorSource.registry());
    }
}
