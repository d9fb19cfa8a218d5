package dev.edgerun.devices.providers;

import ai.onnxruntime.OrtProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Whether one execution provider can be used with the loaded ONNX Runtime build, and if not, why and
 * what to install.
 */
public record ProviderStatus(ExecutionProvider provider, boolean available, String reason) {

    /** Maven artifact of the ONNX Runtime build on the class path: onnxruntime, onnxruntime_gpu or "none". */
    public static String loadedArtifact() {
        ClassLoader cl = ProviderStatus.class.getClassLoader();
        for (String a : List.of("onnxruntime_gpu", "onnxruntime")) {
            if (cl.getResource("META-INF/maven/com.microsoft.onnxruntime/" + a + "/pom.xml") != null) return a;
        }
        return cl.getResource("ai/onnxruntime/OrtEnvironment.class") != null ? "onnxruntime (unknown artifact)" : "none";
    }

    /** The status of every catalogued provider, given the providers compiled into the loaded build. */
    public static List<ProviderStatus> all(Set<OrtProvider> compiledIn, String artifact) {
        List<ProviderStatus> r = new ArrayList<>();
        for (ExecutionProvider p : ExecutionProvider.values()) r.add(of(p, compiledIn, artifact));
        return r;
    }

    public static ProviderStatus of(ExecutionProvider p, Set<OrtProvider> compiledIn, String artifact) {
        if (compiledIn.contains(p.ortProvider())) {
            return new ProviderStatus(p, true, "compiled into this ONNX Runtime build (" + artifact + ")");
        }
        if (p == ExecutionProvider.NNAPI || p == ExecutionProvider.COREML) return new ProviderStatus(p, false, p.install());
        return new ProviderStatus(p, false, p.ortProvider().getName() + " is not available in this build of ONNX Runtime ("
                + "com.microsoft.onnxruntime:" + artifact + "); " + p.install());
    }
}
