package dev.edgerun.keras;

import dev.edgerun.keras.layers.Activation;
import dev.edgerun.keras.layers.Attention;
import dev.edgerun.keras.layers.BatchNormalization;
import dev.edgerun.keras.layers.ChannelsFirst;
import dev.edgerun.keras.layers.Bidirectional;
import dev.edgerun.keras.layers.Concatenate;
import dev.edgerun.keras.layers.Conv;
import dev.edgerun.keras.layers.ConvLSTM2D;
import dev.edgerun.keras.layers.ConvTranspose;
import dev.edgerun.keras.layers.Cropping;
import dev.edgerun.keras.layers.Dense;
import dev.edgerun.keras.layers.DepthwiseConv;
import dev.edgerun.keras.layers.Dot;
import dev.edgerun.keras.layers.ELU;
import dev.edgerun.keras.layers.Embedding;
import dev.edgerun.keras.layers.Flatten;
import dev.edgerun.keras.layers.GlobalPooling;
import dev.edgerun.keras.layers.GroupNormalization;
import dev.edgerun.keras.layers.LayerNormalization;
import dev.edgerun.keras.layers.LeakyReLU;
import dev.edgerun.keras.layers.LocallyConnected;
import dev.edgerun.keras.layers.Merge;
import dev.edgerun.keras.layers.MultiHeadAttention;
import dev.edgerun.keras.layers.Normalization;
import dev.edgerun.keras.layers.PReLU;
import dev.edgerun.keras.layers.PassThrough;
import dev.edgerun.keras.layers.Permute;
import dev.edgerun.keras.layers.Pooling;
import dev.edgerun.keras.layers.ReLU;
import dev.edgerun.keras.layers.Recurrent;
import dev.edgerun.keras.layers.RepeatVector;
import dev.edgerun.keras.layers.Rescaling;
import dev.edgerun.keras.layers.Reshape;
import dev.edgerun.keras.layers.SeparableConv;
import dev.edgerun.keras.layers.Softmax;
import dev.edgerun.keras.layers.ThresholdedReLU;
import dev.edgerun.keras.layers.TimeDistributed;
import dev.edgerun.keras.layers.UnitNormalization;
import dev.edgerun.keras.layers.UpSampling;
import dev.edgerun.keras.layers.ZeroPadding;
import dev.edgerun.runtime.UnsupportedOperatorException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The table of Keras layer classes the importer converts: one line per Keras class, naming its
 * converter. A class not listed fails the import with the layer's class and name and this list.
 */
public final class KerasLayers {
    private KerasLayers() {}

    private static final Map<String, LayerConverter> TABLE = table();

    private static Map<String, LayerConverter> table() {
        Map<String, LayerConverter> t = new LinkedHashMap<>();
        // core
        t.put("InputLayer", new PassThrough());
        t.put("Dense", new Dense());
        t.put("Activation", new Activation());
        t.put("Flatten", new Flatten());
        t.put("Reshape", new Reshape());
        t.put("Permute", new Permute());
        t.put("RepeatVector", new RepeatVector());
        t.put("Embedding", new Embedding());
        // inference no-ops
        for (String noop : List.of("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "AlphaDropout",
                "GaussianDropout", "GaussianNoise", "ActivityRegularization", "Identity")) {
            t.put(noop, new PassThrough());
        }
        // convolution
        t.put("Conv1D", new Conv());
        t.put("Conv2D", new Conv());
        t.put("Conv3D", new Conv());
        t.put("Conv1DTranspose", new ConvTranspose());
        t.put("Conv2DTranspose", new ConvTranspose());
        t.put("Conv3DTranspose", new ConvTranspose());
        t.put("DepthwiseConv1D", new DepthwiseConv());
        t.put("DepthwiseConv2D", new DepthwiseConv());
        t.put("SeparableConv1D", new SeparableConv());
        t.put("SeparableConv2D", new SeparableConv());
        // normalization
        t.put("BatchNormalization", new BatchNormalization());
        t.put("LayerNormalization", new LayerNormalization());
        t.put("Rescaling", new Rescaling());
        t.put("Normalization", new Normalization());
        t.put("UnitNormalization", new UnitNormalization());
        t.put("GroupNormalization", new GroupNormalization());
        // pooling
        t.put("MaxPooling1D", Pooling.max());
        t.put("MaxPooling2D", Pooling.max());
        t.put("MaxPooling3D", Pooling.max());
        t.put("AveragePooling1D", Pooling.average());
        t.put("AveragePooling2D", Pooling.average());
        t.put("AveragePooling3D", Pooling.average());
        t.put("GlobalMaxPooling1D", GlobalPooling.max());
        t.put("GlobalMaxPooling2D", GlobalPooling.max());
        t.put("GlobalMaxPooling3D", GlobalPooling.max());
        t.put("GlobalAveragePooling1D", GlobalPooling.average());
        t.put("GlobalAveragePooling2D", GlobalPooling.average());
        t.put("GlobalAveragePooling3D", GlobalPooling.average());
        // padding, cropping, resizing
        t.put("ZeroPadding1D", new ZeroPadding());
        t.put("ZeroPadding2D", new ZeroPadding());
        t.put("ZeroPadding3D", new ZeroPadding());
        t.put("Cropping1D", new Cropping());
        t.put("Cropping2D", new Cropping());
        t.put("Cropping3D", new Cropping());
        t.put("UpSampling1D", new UpSampling());
        t.put("UpSampling2D", new UpSampling());
        t.put("UpSampling3D", new UpSampling());
        // merging
        t.put("Add", Merge.add());
        t.put("Subtract", Merge.subtract());
        t.put("Multiply", Merge.multiply());
        t.put("Average", Merge.average());
        t.put("Maximum", Merge.maximum());
        t.put("Minimum", Merge.minimum());
        t.put("Concatenate", new Concatenate());
        t.put("Dot", new Dot());
        // attention
        t.put("MultiHeadAttention", new MultiHeadAttention());
        t.put("Attention", new Attention());
        // activations
        t.put("ReLU", new ReLU());
        t.put("LeakyReLU", new LeakyReLU());
        t.put("PReLU", new PReLU());
        t.put("ELU", new ELU());
        t.put("ThresholdedReLU", new ThresholdedReLU());
        t.put("Softmax", new Softmax());
        // recurrent
        t.put("SimpleRNN", Recurrent.simpleRnn());
        t.put("LSTM", Recurrent.lstm());
        t.put("GRU", Recurrent.gru());
        t.put("Bidirectional", new Bidirectional());
        t.put("ConvLSTM2D", new ConvLSTM2D());
        // wrappers and unshared convolution
        t.put("TimeDistributed", new TimeDistributed());
        t.put("LocallyConnected1D", new LocallyConnected());
        t.put("LocallyConnected2D", new LocallyConnected());
        return Collections.unmodifiableMap(t);
    }

    /** Converters that handle {@code data_format=channels_first} themselves. */
    private static final Set<String> SELF_LAYOUT = Set.of("ConvLSTM2D", "LocallyConnected1D", "LocallyConnected2D");

    /** Classes that can never be imported, with the reason. */
    private static final Map<String, String> NOT_IMPORTABLE = Map.of(
            "Lambda", "a Lambda layer holds Python code (marshalled bytecode or a function name), which only Python can"
                    + " run; rewrite it with built-in layers before saving",
            "TFOpLambda", "a TFOpLambda layer calls a TensorFlow function from Python code; rewrite it with built-in layers",
            "TensorFlowOpLayer", "a TensorFlowOpLayer wraps a raw TensorFlow graph op (NodeDef), not a Keras layer;"
                    + " rewrite it with built-in layers",
            "SlicingOpLambda", "a SlicingOpLambda layer is Python slicing code; rewrite it with built-in layers");

    /** The Keras classes the importer converts, sorted. */
    public static Set<String> supportedClasses() {
        Set<String> s = new TreeSet<>(TABLE.keySet());
        s.add("Sequential");
        s.add("Functional");
        s.add("Model");
        return Collections.unmodifiableSet(s);
    }

    static LayerConverter converter(KerasLayer layer, int kerasMajor) {
        LayerConverter c = TABLE.get(layer.className());
        if (c != null) return ChannelsFirst.applies(layer) && !SELF_LAYOUT.contains(layer.className()) ? new ChannelsFirst(c) : c;
        throw unsupported(List.of(miss(layer, kerasMajor)));
    }

    /** Every layer of a model (recursively through nested models and wrappers) that has no converter. */
    static List<UnsupportedOperatorException.Miss> missing(List<KerasLayer> layers, int kerasMajor) {
        List<UnsupportedOperatorException.Miss> misses = new ArrayList<>();
        for (KerasLayer l : layers) {
            if (ModelConverter.isModel(l)) {
                misses.addAll(missing(ModelConverter.layersOf(l), kerasMajor));
            } else if (!TABLE.containsKey(l.className())) {
                misses.add(miss(l, kerasMajor));
            } else if (l.config().has("layer") && l.config().raw("layer") instanceof Map<?, ?>) {
                misses.addAll(missing(List.of(KerasLayer.of(l.config().object("layer"), l.where())), kerasMajor));
            }
        }
        return misses;
    }

    private static UnsupportedOperatorException.Miss miss(KerasLayer l, int kerasMajor) {
        String reason = NOT_IMPORTABLE.get(l.className());
        if (reason == null) {
            boolean custom = l.entry().has("registered_name") && !l.entry().string("registered_name", "").equals(l.className())
                    || l.entry().has("module") && !l.entry().string("module", "keras").startsWith("keras");
            reason = custom ? "a custom layer class: its code is not in the file, only its config"
                    : "no converter for this Keras layer class yet";
        }
        return new UnsupportedOperatorException.Miss(l.className(), "keras", kerasMajor, l.name(), reason);
    }

    static UnsupportedOperatorException unsupported(List<UnsupportedOperatorException.Miss> misses) {
        return new UnsupportedOperatorException("keras-import", misses,
                "Supported Keras layer classes: " + String.join(", ", supportedClasses()));
    }
}
