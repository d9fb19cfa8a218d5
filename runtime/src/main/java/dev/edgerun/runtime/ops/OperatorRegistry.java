package dev.edgerun.runtime.ops;

import dev.edgerun.runtime.ops.misc.RandomOps;
import dev.edgerun.runtime.ops.misc.Windows;
import dev.edgerun.runtime.ops.reduce.ArgExtreme;
import dev.edgerun.runtime.ops.reduce.Reduce;
import dev.edgerun.runtime.ops.tensor.Cumulative;
import dev.edgerun.runtime.ops.tensor.DepthToSpace;
import dev.edgerun.runtime.ops.tensor.Resize;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one table of operators the native engine implements: (domain, op type) → the operator and
 * the since-versions of the spec it implements. A node binds when the model imports an opset at
 * least the lowest since-version; the operator reads {@link NodeContext#opset()} for differences
 * between versions. Adding an operator is one new class and one line here.
 *
 * <p>A row names its operator's class by its name (or, for an operator made with arguments, is
 * made by {@link #madeWithArguments}), and the operator is made when a model first looks it up: a
 * session then loads, links and initialises only the operators its model uses. A constructor
 * reference per row instead cost about 25 ms of CPU at every start-up (one invokedynamic call site
 * linked per row, even with the launcher's class-data sharing archive), half of compiling a
 * three-node model; a class literal per row still loaded all ~150 operator classes and linked a
 * lambda per factory row when the table was built: 9-18 ms of the first compile's main thread
 * (fresh launcher process with its archive, load 7-8; 1.4-1.6 ms with names).
 */
public final class OperatorRegistry {

    /** One row: {@code versions} are the spec's since-versions this class implements, ascending. */
    public static final class Entry {
        private final String domain;
        private final String opType;
        private final int[] versions;
        private final String className;       // null: made by madeWithArguments
        private volatile Operator operator;   // made on first use

        private Entry(String domain, String opType, int[] versions, String className) {
            this.domain = domain;
            this.opType = opType;
            this.versions = versions;
            this.className = className;
        }

        public String domain() {
            return domain;
        }

        public String opType() {
            return opType;
        }

        public int[] versions() {
            return versions.clone();
        }

        public int minVersion() {
            return versions[0];
        }

        /** The operator, made on the first call (operators are stateless: one serves every session). */
        public Operator operator() {
            Operator op = operator;
            if (op == null) {
                synchronized (this) {
                    if (operator == null) operator = className == null ? madeWithArguments(opType) : construct(className);
                    op = operator;
                }
            }
            return op;
        }

        @Override
        public String toString() {
            return "Entry[" + (domain.isEmpty() ? "" : domain + "::") + opType + " " + Arrays.toString(versions) + "]";
        }
    }

    private static final Map<String, Entry> TABLE = new TreeMap<>();

    private static void op(String opType, String operatorClass, int... versions) {
        opIn("", opType, operatorClass, versions);
    }

    /** A row whose operator {@link #madeWithArguments} makes. */
    private static void made(String opType, int... versions) {
        opIn("", opType, null, versions);
    }

    private static void opIn(String domain, String opType, String operatorClass, int... versions) {
        Entry previous = TABLE.put(key(domain, opType), new Entry(domain, opType, versions, operatorClass));
        if (previous != null) throw new IllegalStateException("operator registered twice: " + opType);
    }

    /** A new instance of an operator class, named in full, through its no-argument constructor. */
    private static Operator construct(String className) {
        try {
            Class<? extends Operator> operator = Class.forName(className, true, OperatorRegistry.class.getClassLoader())
                    .asSubclass(Operator.class);
            return operator.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("operator " + className + " has no accessible no-argument constructor", e);
        }
    }

    /** The operators of the {@link #made} rows (a switch: code that only runs, and links, when a model uses it). */
    private static Operator madeWithArguments(String opType) {
        return switch (opType) {
            case "ReduceSum" -> new Reduce(Reduce.Kind.SUM);
            case "ReduceMean" -> new Reduce(Reduce.Kind.MEAN);
            case "ReduceMax" -> new Reduce(Reduce.Kind.MAX);
            case "ReduceMin" -> new Reduce(Reduce.Kind.MIN);
            case "ReduceProd" -> new Reduce(Reduce.Kind.PROD);
            case "ReduceL1" -> new Reduce(Reduce.Kind.L1);
            case "ReduceL2" -> new Reduce(Reduce.Kind.L2);
            case "ReduceLogSum" -> new Reduce(Reduce.Kind.LOG_SUM);
            case "ReduceLogSumExp" -> new Reduce(Reduce.Kind.LOG_SUM_EXP);
            case "ReduceSumSquare" -> new Reduce(Reduce.Kind.SUM_SQUARE);
            case "ArgMax" -> new ArgExtreme(true);
            case "ArgMin" -> new ArgExtreme(false);
            case "Resize" -> new Resize(false);
            case "Upsample" -> new Resize(true);
            case "DepthToSpace" -> new DepthToSpace(true);
            case "SpaceToDepth" -> new DepthToSpace(false);
            case "CumSum" -> new Cumulative(false);
            case "CumProd" -> new Cumulative(true);
            case "HannWindow" -> Windows.hann();
            case "HammingWindow" -> Windows.hamming();
            case "BlackmanWindow" -> Windows.blackman();
            case "RandomUniform" -> RandomOps.uniform();
            case "RandomNormal" -> RandomOps.normal();
            case "RandomUniformLike" -> RandomOps.uniformLike();
            case "RandomNormalLike" -> RandomOps.normalLike();
            case "Bernoulli" -> RandomOps.bernoulli();
            default -> throw new IllegalStateException("no operator made with arguments for " + opType);
        };
    }

    static {
        // ---- element-wise arithmetic, math, comparison, logic, activations, Cast (ops/elementwise) ----
        // (section: elementwise)
        op("Add", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 1, 6, 7, 13, 14);
        op("Sub", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 1, 6, 7, 13, 14);
        op("Mul", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 1, 6, 7, 13, 14);
        op("Div", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 1, 6, 7, 13, 14);
        op("Pow", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 1, 7, 12, 13, 15);
        op("Mod", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 10, 13);
        op("PRelu", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 1, 6, 7, 9, 16);
        op("Sum", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 1, 6, 8, 13);
        op("Mean", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 1, 6, 8, 13);
        op("Min", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 1, 6, 8, 12, 13);
        op("Max", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 1, 6, 8, 12, 13);
        op("Equal", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 1, 7, 11, 13, 19);
        op("Less", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 1, 7, 9, 13);
        op("LessOrEqual", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 12, 16);
        op("Greater", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 1, 7, 9, 13);
        op("GreaterOrEqual", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 12, 16);
        op("And", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 1, 7);
        op("Or", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 1, 7);
        op("Xor", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 1, 7);
        op("BitwiseAnd", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 18);
        op("BitwiseOr", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 18);
        op("BitwiseXor", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 18);
        op("BitShift", "dev.edgerun.runtime.ops.elementwise.ElementwiseBinary", 11);
        op("Relu", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1, 6, 13, 14);
        op("LeakyRelu", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1, 6, 16);
        op("Sigmoid", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1, 6, 13);
        op("Tanh", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1, 6, 13);
        op("Erf", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 9, 13);
        op("Exp", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1, 6, 13);
        op("Log", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1, 6, 13);
        op("Sqrt", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1, 6, 13);
        op("Neg", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1, 6, 13);
        op("Abs", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1, 6, 13);
        op("Reciprocal", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1, 6, 13);
        op("Floor", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1, 6, 13);
        op("Ceil", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1, 6, 13);
        op("Round", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 11, 22);
        op("Sign", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 9, 13);
        op("Sin", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 7, 22);
        op("Cos", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 7, 22);
        op("Tan", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 7, 22);
        op("Asin", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 7, 22);
        op("Acos", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 7, 22);
        op("Atan", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 7, 22);
        op("Sinh", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 9, 22);
        op("Cosh", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 9, 22);
        op("Asinh", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 9, 22);
        op("Acosh", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 9, 22);
        op("Atanh", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 9, 22);
        op("Elu", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1, 6, 22);
        op("Selu", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1, 6, 22);
        op("Celu", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 12);
        op("HardSigmoid", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1, 6, 22);
        op("HardSwish", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 14, 22);
        op("Softplus", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1, 22);
        op("Softsign", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1, 22);
        op("ThresholdedRelu", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 10, 22);
        op("Gelu", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 20);
        op("Mish", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 18, 22);
        op("Swish", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 24);
        op("Shrink", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 9);
        op("IsNaN", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 9, 13, 20);
        op("IsInf", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 10, 20);
        op("Not", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 1);
        op("BitwiseNot", "dev.edgerun.runtime.ops.elementwise.ElementwiseUnary", 18);
        op("Clip", "dev.edgerun.runtime.ops.elementwise.Clip", 1, 6, 11, 12, 13);
        op("Where", "dev.edgerun.runtime.ops.elementwise.Where", 9, 16);
        op("Cast", "dev.edgerun.runtime.ops.elementwise.Cast", 1, 6, 9, 13, 19, 21, 23, 24, 25);
        op("CastLike", "dev.edgerun.runtime.ops.elementwise.Cast", 15, 19, 21, 23, 24, 25);
        op("Dropout", "dev.edgerun.runtime.ops.elementwise.Dropout", 1, 6, 7, 10, 12, 13, 22);
        op("Identity", "dev.edgerun.runtime.ops.elementwise.Identity", 1, 13, 14, 16, 19, 21, 23, 24, 25);
        op("BitCast", "dev.edgerun.runtime.ops.elementwise.BitCast", 26);

        // ---- linear algebra, convolution, pooling, normalization, softmax (ops/nn) ----
        // (section: nn)
        op("Gemm", "dev.edgerun.runtime.ops.nn.Gemm", 1, 6, 7, 9, 11, 13);
        op("MatMul", "dev.edgerun.runtime.ops.nn.MatMul", 1, 9, 13);
        op("Conv", "dev.edgerun.runtime.ops.nn.Conv", 1, 11, 22);
        op("ConvTranspose", "dev.edgerun.runtime.ops.nn.ConvTranspose", 1, 11, 22);
        op("Col2Im", "dev.edgerun.runtime.ops.nn.Col2Im", 18);
        op("MaxPool", "dev.edgerun.runtime.ops.nn.MaxPool", 1, 8, 10, 11, 12, 22);
        op("AveragePool", "dev.edgerun.runtime.ops.nn.AveragePool", 1, 7, 10, 11, 19, 22);
        op("LpPool", "dev.edgerun.runtime.ops.nn.LpPool", 1, 2, 11, 18, 22);
        op("GlobalAveragePool", "dev.edgerun.runtime.ops.nn.GlobalAveragePool", 1, 22);
        op("GlobalMaxPool", "dev.edgerun.runtime.ops.nn.GlobalMaxPool", 1, 22);
        op("GlobalLpPool", "dev.edgerun.runtime.ops.nn.GlobalLpPool", 1, 2, 22);
        op("MaxUnpool", "dev.edgerun.runtime.ops.nn.MaxUnpool", 9, 11, 22);
        op("Softmax", "dev.edgerun.runtime.ops.nn.Softmax", 1, 11, 13);
        op("LogSoftmax", "dev.edgerun.runtime.ops.nn.LogSoftmax", 1, 11, 13);
        op("Hardmax", "dev.edgerun.runtime.ops.nn.Hardmax", 1, 11, 13);
        op("BatchNormalization", "dev.edgerun.runtime.ops.nn.BatchNormalization", 1, 6, 7, 9, 14, 15);
        op("LayerNormalization", "dev.edgerun.runtime.ops.nn.LayerNormalization", 17);
        op("InstanceNormalization", "dev.edgerun.runtime.ops.nn.InstanceNormalization", 1, 6, 22);
        op("GroupNormalization", "dev.edgerun.runtime.ops.nn.GroupNormalization", 18, 21);
        op("LpNormalization", "dev.edgerun.runtime.ops.nn.LpNormalization", 1, 22);
        op("MeanVarianceNormalization", "dev.edgerun.runtime.ops.nn.MeanVarianceNormalization", 1, 9, 13);
        op("LRN", "dev.edgerun.runtime.ops.nn.LRN", 1, 13);
        op("RMSNormalization", "dev.edgerun.runtime.ops.nn.RMSNormalization", 23);
        op("NegativeLogLikelihoodLoss", "dev.edgerun.runtime.ops.nn.NegativeLogLikelihoodLoss", 12, 13, 22);
        op("SoftmaxCrossEntropyLoss", "dev.edgerun.runtime.ops.nn.SoftmaxCrossEntropyLoss", 12, 13);
        op("DeformConv", "dev.edgerun.runtime.ops.nn.DeformConv", 19, 22);

        // ---- shape and data movement, indexing, reductions (ops/tensor) ----
        // (section: tensor)
        op("Constant", "dev.edgerun.runtime.ops.tensor.Constant", 1, 9, 11, 12, 13, 19, 21, 23);
        op("Shape", "dev.edgerun.runtime.ops.tensor.Shape", 1, 13, 15, 19, 21, 23);
        op("Size", "dev.edgerun.runtime.ops.tensor.Size", 1, 13, 19, 21, 23);
        op("Reshape", "dev.edgerun.runtime.ops.tensor.Reshape", 1, 5, 13, 14, 19, 21, 23);
        op("Flatten", "dev.edgerun.runtime.ops.tensor.Flatten", 1, 9, 11, 13, 21, 23);
        op("Squeeze", "dev.edgerun.runtime.ops.tensor.Squeeze", 1, 11, 13, 21, 23);
        op("Unsqueeze", "dev.edgerun.runtime.ops.tensor.Unsqueeze", 1, 11, 13, 21, 23);
        op("Transpose", "dev.edgerun.runtime.ops.tensor.Transpose", 1, 13, 21, 23);
        op("Concat", "dev.edgerun.runtime.ops.tensor.Concat", 1, 4, 11, 13);
        op("Split", "dev.edgerun.runtime.ops.tensor.Split", 1, 2, 11, 13, 18);
        op("Gather", "dev.edgerun.runtime.ops.tensor.Gather", 1, 11, 13);
        op("Expand", "dev.edgerun.runtime.ops.tensor.Expand", 8, 13);
        made("ReduceSum", 1, 11, 13);
        made("ReduceMean", 1, 11, 13, 18);
        made("ReduceMax", 1, 11, 12, 13, 18, 20);
        made("ReduceMin", 1, 11, 12, 13, 18, 20);
        made("ReduceProd", 1, 11, 13, 18);
        made("ReduceL1", 1, 11, 13, 18);
        made("ReduceL2", 1, 11, 13, 18);
        made("ReduceLogSum", 1, 11, 13, 18);
        made("ReduceLogSumExp", 1, 11, 13, 18);
        made("ReduceSumSquare", 1, 11, 13, 18);
        made("ArgMax", 1, 11, 12, 13);
        made("ArgMin", 1, 11, 12, 13);
        made("Resize", 10, 11, 13, 18, 19);
        made("Upsample", 7, 9);
        op("Slice", "dev.edgerun.runtime.ops.tensor.Slice", 1, 10, 11, 13);
        op("Pad", "dev.edgerun.runtime.ops.tensor.Pad", 1, 2, 11, 13, 18, 19, 21, 23);
        op("Tile", "dev.edgerun.runtime.ops.tensor.Tile", 1, 6, 13);
        op("ConstantOfShape", "dev.edgerun.runtime.ops.tensor.ConstantOfShape", 9, 20, 21, 23);
        op("Range", "dev.edgerun.runtime.ops.tensor.Range", 11);
        op("GatherElements", "dev.edgerun.runtime.ops.tensor.GatherElements", 11, 13);
        op("GatherND", "dev.edgerun.runtime.ops.tensor.GatherND", 11, 12, 13);
        op("ScatterElements", "dev.edgerun.runtime.ops.tensor.ScatterElements", 11, 13, 16, 18);
        op("Scatter", "dev.edgerun.runtime.ops.tensor.ScatterElements", 9, 11);
        op("ScatterND", "dev.edgerun.runtime.ops.tensor.ScatterND", 11, 13, 16, 18);
        made("DepthToSpace", 1, 11, 13);
        made("SpaceToDepth", 1, 13);
        op("EyeLike", "dev.edgerun.runtime.ops.tensor.EyeLike", 9, 22);
        op("Trilu", "dev.edgerun.runtime.ops.tensor.Trilu", 14);
        made("CumSum", 11, 14);
        made("CumProd", 26);
        op("OneHot", "dev.edgerun.runtime.ops.tensor.OneHot", 9, 11);
        op("ReverseSequence", "dev.edgerun.runtime.ops.tensor.ReverseSequence", 10);
        op("CenterCropPad", "dev.edgerun.runtime.ops.tensor.CenterCropPad", 18);
        op("Compress", "dev.edgerun.runtime.ops.tensor.Compress", 9, 11);
        op("NonZero", "dev.edgerun.runtime.ops.tensor.NonZero", 9, 13);
        op("TopK", "dev.edgerun.runtime.ops.tensor.TopK", 1, 10, 11, 24);
        op("Unique", "dev.edgerun.runtime.ops.tensor.Unique", 11);
        op("TensorScatter", "dev.edgerun.runtime.ops.tensor.TensorScatter", 24);

        // ---- control flow, sequences, recurrent, quantization, misc (ops/control, ops/quant, ops/rnn) ----
        // (section: misc)
        op("LSTM", "dev.edgerun.runtime.ops.rnn.LSTM", 1, 7, 14);
        op("GRU", "dev.edgerun.runtime.ops.rnn.GRU", 1, 3, 7, 14);
        op("RNN", "dev.edgerun.runtime.ops.rnn.RNN", 1, 7, 14);
        op("QuantizeLinear", "dev.edgerun.runtime.ops.quant.QuantizeLinear", 10, 13, 19, 21, 23, 24, 25);
        op("DequantizeLinear", "dev.edgerun.runtime.ops.quant.DequantizeLinear", 10, 13, 19, 21, 23, 24, 25);
        op("DynamicQuantizeLinear", "dev.edgerun.runtime.ops.quant.DynamicQuantizeLinear", 11);
        op("MatMulInteger", "dev.edgerun.runtime.ops.quant.MatMulInteger", 10);
        op("ConvInteger", "dev.edgerun.runtime.ops.quant.ConvInteger", 10);
        op("QLinearMatMul", "dev.edgerun.runtime.ops.quant.QLinearMatMul", 10, 21);
        op("QLinearConv", "dev.edgerun.runtime.ops.quant.QLinearConv", 10);
        opIn("com.microsoft", "QLinearAdd", "dev.edgerun.runtime.ops.quant.QLinearAdd", 1);
        opIn("com.microsoft", "QLinearLeakyRelu", "dev.edgerun.runtime.ops.quant.QLinearLeakyRelu", 1);
        opIn("com.microsoft", "QGemm", "dev.edgerun.runtime.ops.quant.QGemm", 1);
        opIn("dev.edgerun", "QLinearMaxPool", "dev.edgerun.runtime.ops.quant.QLinearMaxPool", 1);
        opIn("dev.edgerun", "QLinearGlobalAveragePool", "dev.edgerun.runtime.ops.quant.QLinearGlobalAveragePool", 1);
        op("If", "dev.edgerun.runtime.ops.control.If", 1, 11, 13, 16, 19, 21, 23, 24);
        op("Loop", "dev.edgerun.runtime.ops.control.Loop", 1, 11, 13, 16, 19, 21, 23, 24);
        op("Scan", "dev.edgerun.runtime.ops.control.Scan", 8, 9, 11, 16, 19, 21, 23, 24);
        op("SequenceEmpty", "dev.edgerun.runtime.ops.sequence.SequenceEmpty", 11);
        op("SequenceConstruct", "dev.edgerun.runtime.ops.sequence.SequenceConstruct", 11);
        op("SequenceAt", "dev.edgerun.runtime.ops.sequence.SequenceAt", 11);
        op("SequenceInsert", "dev.edgerun.runtime.ops.sequence.SequenceInsert", 11);
        op("SequenceErase", "dev.edgerun.runtime.ops.sequence.SequenceErase", 11);
        op("SequenceLength", "dev.edgerun.runtime.ops.sequence.SequenceLength", 11);
        op("SplitToSequence", "dev.edgerun.runtime.ops.sequence.SplitToSequence", 11, 24);
        op("ConcatFromSequence", "dev.edgerun.runtime.ops.sequence.ConcatFromSequence", 11);
        op("SequenceMap", "dev.edgerun.runtime.ops.sequence.SequenceMap", 17);
        op("Optional", "dev.edgerun.runtime.ops.sequence.Optional", 15);
        op("OptionalHasElement", "dev.edgerun.runtime.ops.sequence.OptionalHasElement", 15, 18);
        op("OptionalGetElement", "dev.edgerun.runtime.ops.sequence.OptionalGetElement", 15, 18);
        op("Einsum", "dev.edgerun.runtime.ops.misc.Einsum", 12);
        op("NonMaxSuppression", "dev.edgerun.runtime.ops.misc.NonMaxSuppression", 10, 11);
        op("RoiAlign", "dev.edgerun.runtime.ops.misc.RoiAlign", 10, 16, 22);
        op("GridSample", "dev.edgerun.runtime.ops.misc.GridSample", 16, 20, 22);
        op("AffineGrid", "dev.edgerun.runtime.ops.misc.AffineGrid", 20);
        op("DFT", "dev.edgerun.runtime.ops.misc.DFT", 17, 20);
        op("STFT", "dev.edgerun.runtime.ops.misc.STFT", 17);
        made("HannWindow", 17);
        made("HammingWindow", 17);
        made("BlackmanWindow", 17);
        op("MelWeightMatrix", "dev.edgerun.runtime.ops.misc.MelWeightMatrix", 17);
        op("Det", "dev.edgerun.runtime.ops.misc.Det", 11, 22);
        op("Attention", "dev.edgerun.runtime.ops.misc.Attention", 23, 24);
        op("RotaryEmbedding", "dev.edgerun.runtime.ops.misc.RotaryEmbedding", 23);
        op("LinearAttention", "dev.edgerun.runtime.ops.misc.LinearAttention", 27);
        op("CausalConvWithState", "dev.edgerun.runtime.ops.misc.CausalConvWithState", 27);
        opIn("ai.onnx.preview", "FlexAttention", "dev.edgerun.runtime.ops.misc.FlexAttention", 1);
        opIn("ai.onnx.ml", "Binarizer", "dev.edgerun.runtime.ops.misc.Binarizer", 1);
        opIn("ai.onnx.ml", "ArrayFeatureExtractor", "dev.edgerun.runtime.ops.misc.ArrayFeatureExtractor", 1);
        opIn("ai.onnx.ml", "LabelEncoder", "dev.edgerun.runtime.ops.misc.LabelEncoder", 2, 4);
        opIn("ai.onnx.ml", "TreeEnsemble", "dev.edgerun.runtime.ops.misc.TreeEnsemble", 5);
        op("ImageDecoder", "dev.edgerun.runtime.ops.misc.ImageDecoder", 20);
        op("StringConcat", "dev.edgerun.runtime.ops.misc.StringConcat", 20);
        op("StringSplit", "dev.edgerun.runtime.ops.misc.StringSplit", 20);
        op("RegexFullMatch", "dev.edgerun.runtime.ops.misc.RegexFullMatch", 20);
        op("StringNormalizer", "dev.edgerun.runtime.ops.misc.StringNormalizer", 10);
        op("TfIdfVectorizer", "dev.edgerun.runtime.ops.misc.TfIdfVectorizer", 9);
        opIn("ai.onnx.preview.training", "Adagrad", "dev.edgerun.runtime.ops.misc.Adagrad", 1);
        opIn("ai.onnx.preview.training", "Adam", "dev.edgerun.runtime.ops.misc.Adam", 1);
        opIn("ai.onnx.preview.training", "Momentum", "dev.edgerun.runtime.ops.misc.Momentum", 1);
        made("RandomUniform", 1, 22);
        made("RandomNormal", 1, 22);
        made("RandomUniformLike", 1, 22);
        made("RandomNormalLike", 1, 22);
        made("Bernoulli", 15, 22);
        op("Multinomial", "dev.edgerun.runtime.ops.misc.Multinomial", 7, 22);
    }

    private OperatorRegistry() {}

    private static String key(String domain, String opType) {
        return (domain == null || domain.equals("ai.onnx") ? "" : domain) + "::" + opType;
    }

    /**
     * The operator for {@code opType} in {@code domain} at the model's {@code opset}, or null when
     * the engine has none or the model's opset is older than any version implemented.
     */
    public static Entry find(String domain, String opType, long opset) {
        Entry e = TABLE.get(key(domain, opType));
        if (e == null || opset < e.minVersion()) return null;
        return e;
    }

    /** Whether any version of the operator exists, for error messages. */
    public static boolean knows(String domain, String opType) {
        return TABLE.containsKey(key(domain, opType));
    }

    /** Every registered row, sorted by domain and op type. */
    public static List<Entry> entries() {
        return Collections.unmodifiableList(new ArrayList<>(TABLE.values()));
    }
}
