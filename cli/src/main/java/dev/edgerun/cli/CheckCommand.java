package dev.edgerun.cli;

import dev.edgerun.onnx.TestCaseFolder;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Engine;
import dev.edgerun.runtime.EngineUnavailableException;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.UnsupportedOperatorException;
import dev.edgerun.runtime.io.Json;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code edgerun check DIR...}: runs ONNX-style test folders and compares every output with the
 * expected one. A test is SKIP when the engine cannot run the model at all (an operator it lacks,
 * or sequence/map/optional values, which Edgerun runs do not take).
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Run ONNX-style test folders (model + test_data_set_*/input_*.pb, output_*.pb, or top-level "
                + "input_*.npy, output_*.npy) and compare outputs. Exit 1 when any test fails.")
final class CheckCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Parameters(paramLabel = "DIR", arity = "1..*", description = "test folders")
    List<Path> dirs;

    @Option(names = "--rtol", defaultValue = "1e-3", description = "relative tolerance (default: ${DEFAULT-VALUE})")
    double rtol;

    @Option(names = "--atol", defaultValue = "1e-5", description = "absolute tolerance (default: ${DEFAULT-VALUE})")
    double atol;

    enum Status { PASS, FAIL, SKIP }

    /** One folder's verdict; errors are NaN when nothing was compared. */
    record Result(String name, Path dir, Status status, double maxAbsError, double maxRelError, int dataSets,
                  String reason, double millis) {}

    @Override
    public Integer call() {
        List<TestCaseFolder> folders = openAll();
        requireEngine();
        PrintWriter out = spec.commandLine().getOut();
        List<Result> results = new ArrayList<>();
        for (TestCaseFolder f : folders) {
            Result r = check(f);
            results.add(r);
            if (!common.json) {
                out.println(line(r));
                out.flush();
            }
        }
        long passed = count(results, Status.PASS);
        long failed = count(results, Status.FAIL);
        long skipped = count(results, Status.SKIP);
        if (common.json) {
            out.println(Json.write(document(results, passed, failed, skipped)));
        } else {
            out.println(passed + " passed, " + failed + " failed" + (skipped > 0 ? ", " + skipped + " skipped" : ""));
        }
        out.flush();
        return failed > 0 ? Main.CHECK_FAILED : Main.OK;
    }

    /** Every argument must be a test folder; a bad one is a usage error before anything runs. */
    private List<TestCaseFolder> openAll() {
        List<TestCaseFolder> r = new ArrayList<>();
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) throw new IllegalArgumentException(d + ": no such folder");
            r.addAll(TestCaseFolder.openEach(d)); // model.keras and model.h5 side by side are two tests
        }
        return r;
    }

    private void requireEngine() {
        Engine engine = Edgerun.engine(common.engine);
        Engine.Availability a = engine.availability();
        if (!a.available()) throw new EngineUnavailableException("engine '" + engine.name() + "' cannot run here: " + a.detail());
    }

    private Result check(TestCaseFolder folder) {
        long t0 = System.nanoTime();
        try (Model model = Edgerun.load(folder.modelFile())) {
            String nonTensor = nonTensorValue(model);
            if (nonTensor != null) return result(folder, Status.SKIP, null, 0, nonTensor, t0);
            try (Session session = Edgerun.session(model, common.sessionOptions())) {
                return runDataSets(folder, model, session, t0);
            }
        } catch (UnsupportedOperatorException e) {
            return result(folder, Status.SKIP, null, 0, e.getMessage(), t0);
        } catch (EngineUnavailableException e) {
            throw e; // the engine or device is missing: every test would fail the same way
        } catch (EdgerunException | IllegalStateException e) {
            return result(folder, Status.FAIL, null, 0, e.getMessage(), t0);
        } catch (RuntimeException e) { // an engine bug fails this test, not the whole check
            return result(folder, Status.FAIL, null, 0, "internal error: " + e, t0);
        }
    }

    private Result runDataSets(TestCaseFolder folder, Model model, Session session, long t0) {
        Comparison worst = Comparison.EXACT;
        int sets = 0;
        for (Path setDir : folder.dataSetDirs()) {
            try (TestCaseFolder.DataSet set = folder.readDataSet(setDir, model.graph().requiredInputs(),
                    model.graph().outputs())) {
                if (!set.allTensors()) {
                    return result(folder, Status.SKIP, null, sets, set.name() + " holds sequence, map or optional values", t0);
                }
                worst = worst.merge(compare(set, session));
                sets++;
            }
        }
        if (sets == 0) return result(folder, Status.FAIL, null, 0, "no data sets", t0);
        return result(folder, worst.close() ? Status.PASS : Status.FAIL, worst, sets,
                worst.close() ? null : worst.problem(), t0);
    }

    private Comparison compare(TestCaseFolder.DataSet set, Session session) {
        Map<String, Tensor> expected = set.expectedTensors();
        try (RunResult result = session.run(set.inputTensors())) {
            Comparison c = Comparison.EXACT;
            for (var e : expected.entrySet()) {
                Comparison one = Comparison.of(e.getValue(), result.get(e.getKey()), rtol, atol);
                if (!one.close() && one.problem() != null) {
                    one = new Comparison(false, one.maxAbsError(), one.maxRelError(),
                            set.name() + " output '" + e.getKey() + "': " + one.problem());
                }
                c = c.merge(one);
            }
            return c;
        }
    }

    private static String nonTensorValue(Model model) {
        for (List<Value> vs : List.of(model.graph().requiredInputs(), model.graph().outputs())) {
            for (Value v : vs) {
                if (!v.isTensor()) return "'" + v.name() + "' is " + v.type() + "; Edgerun runs take and return tensors";
            }
        }
        return null;
    }

    private static Result result(TestCaseFolder f, Status s, Comparison c, int sets, String reason, long t0) {
        double abs = c == null ? Double.NaN : c.maxAbsError();
        double rel = c == null ? Double.NaN : c.maxRelError();
        return new Result(f.name(), f.dir(), s, abs, rel, sets, reason, (System.nanoTime() - t0) / 1e6);
    }

    private static long count(List<Result> results, Status s) {
        return results.stream().filter(r -> r.status() == s).count();
    }

    private static String line(Result r) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-4s %-40s", r.status(), r.name()));
        if (!Double.isNaN(r.maxAbsError())) {
            b.append(String.format(Locale.ROOT, "  max abs err %.2e  max rel err %.2e", r.maxAbsError(), r.maxRelError()));
        }
        if (r.reason() != null) b.append("  ").append(r.reason());
        return b.toString();
    }

    private Map<String, Object> document(List<Result> results, long passed, long failed, long skipped) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("engine", common.engine);
        doc.put("rtol", rtol);
        doc.put("atol", atol);
        List<Map<String, Object>> tests = new ArrayList<>();
        for (Result r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", r.name());
            m.put("dir", r.dir().toString());
            m.put("status", r.status().name());
            m.put("max_abs_error", Double.isNaN(r.maxAbsError()) ? null : r.maxAbsError());
            m.put("max_rel_error", Double.isNaN(r.maxRelError()) ? null : r.maxRelError());
            m.put("data_sets", r.dataSets());
            m.put("reason", r.reason());
            m.put("ms", r.millis());
            tests.add(m);
        }
        doc.put("tests", tests);
        doc.put("passed", passed);
        doc.put("failed", failed);
        doc.put("skipped", skipped);
        return doc;
    }
}
