package dev.edgerun.keras;

/**
 * One layer entry of a Keras model configuration.
 *
 * @param className the Keras class ({@code Dense}, {@code Conv2D}, ...)
 * @param name      the layer's unique name in its model
 * @param config    the layer's own {@code config} object
 * @param entry     the whole entry (class name, config, {@code inbound_nodes}, module, ...)
 */
public record KerasLayer(String className, String name, Config config, Config entry) {

    /** Reads a layer entry; {@code where} names the file (and enclosing layer). */
    public static KerasLayer of(Config entry, String where) {
        String cls = entry.string("class_name");
        Config cfg = entry.has("config") ? entry.object("config") : new Config(new java.util.LinkedHashMap<>(), where);
        String name = entry.has("name") ? entry.string("name") : cfg.string("name", cls);
        String place = where + ", layer '" + name + "' (" + cls + ")";
        return new KerasLayer(cls, name, cfg.at(place), entry.at(place));
    }

    /** File and layer, for messages. */
    public String where() {
        return config.where();
    }
}
