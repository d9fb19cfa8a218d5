package dev.edgerun.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Engine;
import dev.edgerun.runtime.EngineUnavailableException;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A JVM started without {@code --add-modules jdk.incubator.vector} (as {@code java -jar} is, outside the
 * launcher) gets a clear "unavailable" from the native engine, not a NoClassDefFoundError from the
 * first Java kernel class it loads. Runs {@link #main} in a child JVM without the module.
 */
class NativeEngineWithoutVectorModuleTest {

    @Test
    void saysWhatIsMissingInsteadOfCrashing() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                NativeEngineWithoutVectorModuleTest.class.getName()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("available=false"), out);
        assertTrue(out.contains("compile threw EngineUnavailableException: "), out);
        assertTrue(out.lines().filter(l -> l.startsWith("compile threw")).allMatch(l -> l.endsWith(NativeEngine.MISSING_VECTOR_MODULE)), out);
    }

    /** In the child JVM: the engine's availability and what compiling a one-node model does. */
    public static void main(String[] args) {
        Engine e = Edgerun.engine("native");
        System.out.println("available=" + e.availability().available() + " " + e.availability().detail());
        Graph g = Graph.builder("relu").input(Value.tensor("x", DType.FLOAT, Shape.of(1, 4)))
                .node(Node.builder("Relu").name("relu").inputs(List.of("x")).outputs(List.of("y")).build())
                .output(new Value("y", null, "")).build();
        try (Model m = Model.builder().graph(g).opset(17).build()) {
            Edgerun.session(m, SessionOptions.defaults()).close();
            System.out.println("compiled");
        } catch (EngineUnavailableException ex) {
            System.out.println("compile threw EngineUnavailableException: " + ex.getMessage());
        }
    }
}
