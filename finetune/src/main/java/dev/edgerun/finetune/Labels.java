package dev.edgerun.finetune;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Class names stored in a model's metadata under {@value #KEY}, as a JSON array of strings. */
public final class Labels {
    public static final String KEY = "edgerun.labels";

    private Labels() {}

    public static String encode(List<String> names) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < names.size(); i++) {
            b.append(i > 0 ? "," : "").append('"');
            for (char c : names.get(i).toCharArray()) {
                if (c == '"' || c == '\\') b.append('\\');
                b.append(c);
            }
            b.append('"');
        }
        return b.append(']').toString();
    }

    /** The class names in {@code metadata}, or an empty list. */
    public static List<String> of(Map<String, String> metadata) {
        String s = metadata.get(KEY);
        return s == null ? List.of() : decode(s);
    }

    public static List<String> decode(String json) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = null;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (cur == null) {
                if (c == '"') cur = new StringBuilder();
            } else if (c == '\\' && i + 1 < json.length()) {
                cur.append(json.charAt(++i));
            } else if (c == '"') {
                out.add(cur.toString());
                cur = null;
            } else {
                cur.append(c);
            }
        }
        return out;
    }
}
