package dev.edgerun.keras;

import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class KerasImportSmokeTest {
    @Test
    void printAll() throws Exception {
        for (Path dir : KerasTestData.keras3Models()) {
            for (String f : new String[] {"model.keras", "model.h5"}) {
                try (Model m = new KerasImporter().read(dir.resolve(f))) {
                    Map<String, Integer> ops = new TreeMap<>();
                    for (Node n : m.graph().nodes()) ops.merge(n.opType(), 1, Integer::sum);
                    System.out.println(dir.getFileName() + "/" + f + ": " + m.graph().inputs() + " -> " + m.graph().outputs() + " " + ops);
                } catch (RuntimeException e) {
                    System.out.println(dir.getFileName() + "/" + f + ": FAIL " + e);
                }
            }
        }
    }
}
