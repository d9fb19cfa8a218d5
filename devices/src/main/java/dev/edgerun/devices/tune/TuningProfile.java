package dev.edgerun.devices.tune;

import dev.edgerun.runtime.SessionOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The measured best way to run one model on one machine, as written by {@code edgerun tune}: the
 * model file to load (the original or its int8 variant) and the session options, with every
 * measurement kept for reference.
 *
 * @param modelSha256 SHA-256 of the original model file: the profile's key
 * @param cpu         the CPU the measurements were made on; a profile from another machine is not used
 */
public record TuningProfile(String modelSha256, Path model, Configuration best, double bestMedianMs, String cpu,
                            String measuredAt, List<Measurement> measurements) {

    public TuningProfile {
        measurements = List.copyOf(measurements);
    }

    /** The session options of the best configuration. */
    public SessionOptions sessionOptions() {
        return best.sessionOptions();
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_sha256", modelSha256);
        m.put("model", model.toString());
        m.put("cpu", cpu);
        m.put("measured_at", measuredAt);
        m.put("best", configuration(best));
        m.put("best_median_ms", bestMedianMs);
        List<Object> all = new ArrayList<>();
        for (Measurement x : measurements) {
            Map<String, Object> r = configuration(x.configuration());
            r.put("median_ms", x.medianMs());
            r.put("p90_ms", x.p90Ms());
            r.put("runs", x.runs());
            r.put("error", x.error());
            all.add(r);
        }
        m.put("measurements", all);
        return m;
    }

    private static Map<String, Object> configuration(Configuration c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("variant", c.variant());
        m.put("model_file", c.modelFile().toString());
        m.put("engine", c.engine());
        m.put("device", c.device());
        m.put("threads", c.threads());
        return m;
    }

    @SuppressWarnings("unchecked")
    static TuningProfile fromMap(Map<String, Object> m, String where) {
        try {
            List<Measurement> all = new ArrayList<>();
            for (Object o : (List<Object>) m.get("measurements")) {
                Map<String, Object> r = (Map<String, Object>) o;
                all.add(new Measurement(configuration(r), number(r.get("median_ms")), number(r.get("p90_ms")),
                        ((Number) r.get("runs")).intValue(), null, (String) r.get("error")));
            }
            return new TuningProfile((String) m.get("model_sha256"), Path.of((String) m.get("model")),
                    configuration((Map<String, Object>) m.get("best")), number(m.get("best_median_ms")),
                    (String) m.get("cpu"), (String) m.get("measured_at"), all);
        } catch (ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException(where + ": not a tuning profile (missing or mistyped field: " + e.getMessage()
                    + "); run 'edgerun tune' again", e);
        }
    }

    private static Configuration configuration(Map<String, Object> m) {
        return new Configuration((String) m.get("variant"), Path.of((String) m.get("model_file")),
                (String) m.get("engine"), (String) m.get("device"), ((Number) m.get("threads")).intValue());
    }

    private static double number(Object o) {
        return o == null ? Double.NaN : ((Number) o).doubleValue();
    }
}
