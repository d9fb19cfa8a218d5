package dev.edgerun.runtime.ops;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The one table of operators the native engine implements: (domain, op type) → the operator and
 * the since-versions of the spec it implements. A node binds when the model imports an opset at
 * least the lowest since-version; the operator reads {@link NodeContext#opset()} for differences
 * between versions. Adding an operator is one new class and one line here.
 *
 * <p>A row names its operator's class (or, for an operator made with arguments, a factory), and
 * the operator is made when a model first looks it up: a session then links and initialises only
 * the operators its model uses. A constructor reference per row instead cost about 25 ms of CPU
 * at every start-up (one invokedynamic call site linked per row, even with the launcher's
 * class-data sharing archive), half of compiling a three-node model.
 */
public final class OperatorRegistry {

    /** One row: {@code versions} are the spec's since-versions this class implements, ascending. */
    public static final class Entry {
        private final String domain;
        private final String opType;
        private final int[] versions;
        private final Supplier<? extends Operator> factory;
        private volatile Operator operator;   // made on first use

        private Entry(String domain, String opType, int[] versions, Supplier<? extends Operator> factory) {
            this.domain = domain;
            this.opType = opType;
            this.versions = versions;
            this.factory = factory;
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
                    if (operator == null) operator = factory.get();
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

    private static void op(String opType, Class<? extends Operator> operator, int... versions) {
        opIn("", opType, operator, versions);
    }

    private static void op(String opType, Supplier<? extends Operator> factory, int... versions) {
        opIn("", opType, factory, versions);
    }

    private static void opIn(String domain, String opType, Class<? extends Operator> operator, int... versions) {
        opIn(domain, opType, () -> construct(operator), versions);
    }

    private static void opIn(String domain, String opType, Supplier<? extends Operator> factory, int... versions) {
        Entry previous = TABLE.put(key(domain, opType), new Entry(domain, opType, versions, factory));
        if (previous != null) throw new IllegalStateException("operator registered twice: " + opType);
    }

    /** A new instance of an operator class through its no-argument constructor. */
    private static Operator construct(Class<? extends Operator> operator) {
        try {
            return operator.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("operator " + operator.getName() + " has no accessible no-argument constructor", e);
        }
    }

    static {
        // ---- element-wise arithmetic, math, comparison, logic, activations, Cast (ops/elementwise) ----
        // (section: elementwise)
        op("Add", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 1, 6, 7, 13, 14);
        op("Sub", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 1, 6, 7, 13, 14);
        op("Mul", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 1, 6, 7, 13, 14);
        op("Div", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 1, 6, 7, 13, 14);
        op("Pow", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 1, 7, 12, 13, 15);
        op("Mod", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 10, 13);
        op("PRelu", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 1, 6, 7, 9, 16);
        op("Sum", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 1, 6, 8, 13);
        op("Mean", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 1, 6, 8, 13);
        op("Min", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 1, 6, 8, 12, 13);
        op("Max", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 1, 6, 8, 12, 13);
        op("Equal", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 1, 7, 11, 13, 19);
        op("Less", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 1, 7, 9, 13);
        op("LessOrEqual", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 12, 16);
        op("Greater", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 1, 7, 9, 13);
        op("GreaterOrEqual", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 12, 16);
        op("And", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 1, 7);
        op("Or", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 1, 7);
        op("Xor", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 1, 7);
        op("BitwiseAnd", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 18);
        op("BitwiseOr", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 18);
        op("BitwiseXor", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 18);
        op("BitShift", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary.class, 11);
        op("Relu", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1, 6, 13, 14);
        op("LeakyRelu", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1, 6, 16);
        op("Sigmoid", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1, 6, 13);
        op("Tanh", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1, 6, 13);
        op("Erf", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 9, 13);
        op("Exp", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1, 6, 13);
        op("Log", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1, 6, 13);
        op("Sqrt", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1, 6, 13);
        op("Neg", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1, 6, 13);
        op("Abs", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1, 6, 13);
        op("Reciprocal", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1, 6, 13);
        op("Floor", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1, 6, 13);
        op("Ceil", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1, 6, 13);
        op("Round", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 11, 22);
        op("Sign", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 9, 13);
        op("Sin", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 7, 22);
        op("Cos", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 7, 22);
        op("Tan", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 7, 22);
        op("Asin", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 7, 22);
        op("Acos", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 7, 22);
        op("Atan", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 7, 22);
        op("Sinh", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 9, 22);
        op("Cosh", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 9, 22);
        op("Asinh", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 9, 22);
        op("Acosh", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 9, 22);
        op("Atanh", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 9, 22);
        op("Elu", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1, 6, 22);
        op("Selu", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1, 6, 22);
        op("Celu", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 12);
        op("HardSigmoid", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1, 6, 22);
        op("HardSwish", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 14, 22);
        op("Softplus", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1, 22);
        op("Softsign", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1, 22);
        op("ThresholdedRelu", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 10, 22);
        op("Gelu", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 20);
        op("Mish", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 18, 22);
        op("Swish", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 24);
        op("Shrink", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 9);
        op("IsNaN", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 9, 13, 20);
        op("IsInf", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 10, 20);
        op("Not", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 1);
        op("BitwiseNot", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary.class, 18);
        op("Clip", dev.edgerun.runtime.ops.elementwise.Clip.class, 1, 6, 11, 12, 13);
        op("Where", dev.edgerun.runtime.ops.elementwise.Where.class, 9, 16);
        op("Cast", dev.edgerun.runtime.ops.elementwise.Cast.class, 1, 6, 9, 13, 19, 21, 23, 24, 25);
        op("CastLike", dev.edgerun.runtime.ops.elementwise.Cast.class, 15, 19, 21, 23, 24, 25);
        op("Dropout", dev.edgerun.runtime.ops.elementwise.Dropout.class, 1, 6, 7, 10, 12, 13, 22);
        op("Identity", dev.edgerun.runtime.ops.elementwise.Identity.class, 1, 13, 14, 16, 19, 21, 23, 24, 25);
        op("BitCast", dev.edgerun.runtime.ops.elementwise.BitCast.class, 26);

        // ---- linear algebra, convolution, pooling, normalization, softmax (ops/nn) ----
        // (section: nn)
        op("Gemm", dev.edgerun.runtime.ops.nn.Gemm.class, 1, 6, 7, 9, 11, 13);
        op("MatMul", dev.edgerun.runtime.ops.nn.MatMul.class, 1, 9, 13);
        op("Conv", dev.edgerun.runtime.ops.nn.Conv.class, 1, 11, 22);
        op("ConvTranspose", dev.edgerun.runtime.ops.nn.ConvTranspose.class, 1, 11, 22);
        op("Col2Im", dev.edgerun.runtime.ops.nn.Col2Im.class, 18);
        op("MaxPool", dev.edgerun.runtime.ops.nn.MaxPool.class, 1, 8, 10, 11, 12, 22);
        op("AveragePool", dev.edgerun.runtime.ops.nn.AveragePool.class, 1, 7, 10, 11, 19, 22);
        op("LpPool", dev.edgerun.runtime.ops.nn.LpPool.class, 1, 2, 11, 18, 22);
        op("GlobalAveragePool", dev.edgerun.runtime.ops.nn.GlobalAveragePool.class, 1, 22);
        op("GlobalMaxPool", dev.edgerun.runtime.ops.nn.GlobalMaxPool.class, 1, 22);
        op("GlobalLpPool", dev.edgerun.runtime.ops.nn.GlobalLpPool.class, 1, 2, 22);
        op("MaxUnpool", dev.edgerun.runtime.ops.nn.MaxUnpool.class, 9, 11, 22);
        op("Softmax", dev.edgerun.runtime.ops.nn.Softmax.class, 1, 11, 13);
        op("LogSoftmax", dev.edgerun.runtime.ops.nn.LogSoftmax.class, 1, 11, 13);
        op("Hardmax", dev.edgerun.runtime.ops.nn.Hardmax.class, 1, 11, 13);
        op("BatchNormalization", dev.edgerun.runtime.ops.nn.BatchNormalization.class, 1, 6, 7, 9, 14, 15);
        op("LayerNormalization", dev.edgerun.runtime.ops.nn.LayerNormalization.class, 17);
        op("InstanceNormalization", dev.edgerun.runtime.ops.nn.InstanceNormalization.class, 1, 6, 22);
        op("GroupNormalization", dev.edgerun.runtime.ops.nn.GroupNormalization.class, 18, 21);
        op("LpNormalization", dev.edgerun.runtime.ops.nn.LpNormalization.class, 1, 22);
        op("MeanVarianceNormalization", dev.edgerun.runtime.ops.nn.MeanVarianceNormalization.class, 1, 9, 13);
        op("LRN", dev.edgerun.runtime.ops.nn.LRN.class, 1, 13);
        op("RMSNormalization", dev.edgerun.runtime.ops.nn.RMSNormalization.class, 23);
        op("NegativeLogLikelihoodLoss", dev.edgerun.runtime.ops.nn.NegativeLogLikelihoodLoss.class, 12, 13, 22);
        op("SoftmaxCrossEntropyLoss", dev.edgerun.runtime.ops.nn.SoftmaxCrossEntropyLoss.class, 12, 13);
        op("DeformConv", dev.edgerun.runtime.ops.nn.DeformConv.class, 19, 22);

        // ---- shape and data movement, indexing, reductions (ops/tensor) ----
        // (section: tensor)
        op("Constant", dev.edgerun.runtime.ops.tensor.Constant.class, 1, 9, 11, 12, 13, 19, 21, 23);
        op("Shape", dev.edgerun.runtime.ops.tensor.Shape.class, 1, 13, 15, 19, 21, 23);
        op("Size", dev.edgerun.runtime.ops.tensor.Size.class, 1, 13, 19, 21, 23);
        op("Reshape", dev.edgerun.runtime.ops.tensor.Reshape.class, 1, 5, 13, 14, 19, 21, 23);
        op("Flatten", dev.edgerun.runtime.ops.tensor.Flatten.class, 1, 9, 11, 13, 21, 23);
        op("Squeeze", dev.edgerun.runtime.ops.tensor.Squeeze.class, 1, 11, 13, 21, 23);
        op("Unsqueeze", dev.edgerun.runtime.ops.tensor.Unsqueeze.class, 1, 11, 13, 21, 23);
        op("Transpose", dev.edgerun.runtime.ops.tensor.Transpose.class, 1, 13, 21, 23);
        op("Concat", dev.edgerun.runtime.ops.tensor.Concat.class, 1, 4, 11, 13);
        op("Split", dev.edgerun.runtime.ops.tensor.Split.class, 1, 2, 11, 13, 18);
        op("Gather", dev.edgerun.runtime.ops.tensor.Gather.class, 1, 11, 13);
        op("Expand", dev.edgerun.runtime.ops.tensor.Expand.class, 8, 13);
        op("ReduceSum", () -> new dev.edgerun.runtime.ops.reduce.Reduce(dev.edgerun.runtime.ops.reduce.Reduce.Kind.SUM), 1, 11, 13);
        op("ReduceMean", () -> new dev.edgerun.runtime.ops.reduce.Reduce(dev.edgerun.runtime.ops.reduce.Reduce.Kind.MEAN), 1, 11, 13, 18);
        op("ReduceMax", () -> new dev.edgerun.runtime.ops.reduce.Reduce(dev.edgerun.runtime.ops.reduce.Reduce.Kind.MAX), 1, 11, 12, 13, 18, 20);
        op("ReduceMin", () -> new dev.edgerun.runtime.ops.reduce.Reduce(dev.edgerun.runtime.ops.reduce.Reduce.Kind.MIN), 1, 11, 12, 13, 18, 20);
        op("ReduceProd", () -> new dev.edgerun.runtime.ops.reduce.Reduce(dev.edgerun.runtime.ops.reduce.Reduce.Kind.PROD), 1, 11, 13, 18);
        op("ReduceL1", () -> new dev.edgerun.runtime.ops.reduce.Reduce(dev.edgerun.runtime.ops.reduce.Reduce.Kind.L1), 1, 11, 13, 18);
        op("ReduceL2", () -> new dev.edgerun.runtime.ops.reduce.Reduce(dev.edgerun.runtime.ops.reduce.Reduce.Kind.L2), 1, 11, 13, 18);
        op("ReduceLogSum", () -> new dev.edgerun.runtime.ops.reduce.Reduce(dev.edgerun.runtime.ops.reduce.Reduce.Kind.LOG_SUM), 1, 11, 13, 18);
        op("ReduceLogSumExp", () -> new dev.edgerun.runtime.ops.reduce.Reduce(dev.edgerun.runtime.ops.reduce.Reduce.Kind.LOG_SUM_EXP), 1, 11, 13, 18);
        op("ReduceSumSquare", () -> new dev.edgerun.runtime.ops.reduce.Reduce(dev.edgerun.runtime.ops.reduce.Reduce.Kind.SUM_SQUARE), 1, 11, 13, 18);
        op("ArgMax", () -> new dev.edgerun.runtime.ops.reduce.ArgExtreme(true), 1, 11, 12, 13);
        op("ArgMin", () -> new dev.edgerun.runtime.ops.reduce.ArgExtreme(false), 1, 11, 12, 13);
        op("Resize", () -> new dev.edgerun.runtime.ops.tensor.Resize(false), 10, 11, 13, 18, 19);
        op("Upsample", () -> new dev.edgerun.runtime.ops.tensor.Resize(true), 7, 9);
        op("Slice", dev.edgerun.runtime.ops.tensor.Slice.class, 1, 10, 11, 13);
        op("Pad", dev.edgerun.runtime.ops.tensor.Pad.class, 1, 2, 11, 13, 18, 19, 21, 23);
        op("Tile", dev.edgerun.runtime.ops.tensor.Tile.class, 1, 6, 13);
        op("ConstantOfShape", dev.edgerun.runtime.ops.tensor.ConstantOfShape.class, 9, 20, 21, 23);
        op("Range", dev.edgerun.runtime.ops.tensor.Range.class, 11);
        op("GatherElements", dev.edgerun.runtime.ops.tensor.GatherElements.class, 11, 13);
        op("GatherND", dev.edgerun.runtime.ops.tensor.GatherND.class, 11, 12, 13);
        op("ScatterElements", dev.edgerun.runtime.ops.tensor.ScatterElements.class, 11, 13, 16, 18);
        op("Scatter", dev.edgerun.runtime.ops.tensor.ScatterElements.class, 9, 11);
        op("ScatterND", dev.edgerun.runtime.ops.tensor.ScatterND.class, 11, 13, 16, 18);
        op("DepthToSpace", () -> new dev.edgerun.runtime.ops.tensor.DepthToSpace(true), 1, 11, 13);
        op("SpaceToDepth", () -> new dev.edgerun.runtime.ops.tensor.DepthToSpace(false), 1, 13);
        op("EyeLike", dev.edgerun.runtime.ops.tensor.EyeLike.class, 9, 22);
        op("Trilu", dev.edgerun.runtime.ops.tensor.Trilu.class, 14);
        op("CumSum", () -> new dev.edgerun.runtime.ops.tensor.Cumulative(false), 11, 14);
        op("CumProd", () -> new dev.edgerun.runtime.ops.tensor.Cumulative(true), 26);
        op("OneHot", dev.edgerun.runtime.ops.tensor.OneHot.class, 9, 11);
        op("ReverseSequence", dev.edgerun.runtime.ops.tensor.ReverseSequence.class, 10);
        op("CenterCropPad", dev.edgerun.runtime.ops.tensor.CenterCropPad.class, 18);
        op("Compress", dev.edgerun.runtime.ops.tensor.Compress.class, 9, 11);
        op("NonZero", dev.edgerun.runtime.ops.tensor.NonZero.class, 9, 13);
        op("TopK", dev.edgerun.runtime.ops.tensor.TopK.class, 1, 10, 11, 24);
        op("Unique", dev.edgerun.runtime.ops.tensor.Unique.class, 11);
        op("TensorScatter", dev.edgerun.runtime.ops.tensor.TensorScatter.class, 24);

        // ---- control flow, sequences, recurrent, quantization, misc (ops/control, ops/quant, ops/rnn) ----
        // (section: misc)
        op("LSTM", dev.edgerun.runtime.ops.rnn.LSTM.class, 1, 7, 14);
        op("GRU", dev.edgerun.runtime.ops.rnn.GRU.class, 1, 3, 7, 14);
        op("RNN", dev.edgerun.runtime.ops.rnn.RNN.class, 1, 7, 14);
        op("QuantizeLinear", dev.edgerun.runtime.ops.quant.QuantizeLinear.class, 10, 13, 19, 21, 23, 24, 25);
        op("DequantizeLinear", dev.edgerun.runtime.ops.quant.DequantizeLinear.class, 10, 13, 19, 21, 23, 24, 25);
        op("DynamicQuantizeLinear", dev.edgerun.runtime.ops.quant.DynamicQuantizeLinear.class, 11);
        op("MatMulInteger", dev.edgerun.runtime.ops.quant.MatMulInteger.class, 10);
        op("ConvInteger", dev.edgerun.runtime.ops.quant.ConvInteger.class, 10);
        op("QLinearMatMul", dev.edgerun.runtime.ops.quant.QLinearMatMul.class, 10, 21);
        op("QLinearConv", dev.edgerun.runtime.ops.quant.QLinearConv.class, 10);
        opIn("com.microsoft", "QLinearAdd", dev.edgerun.runtime.ops.quant.QLinearAdd.class, 1);
        opIn("com.microsoft", "QLinearLeakyRelu", dev.edgerun.runtime.ops.quant.QLinearLeakyRelu.class, 1);
        opIn("dev.edgerun", "QLinearMaxPool", dev.edgerun.runtime.ops.quant.QLinearMaxPool.class, 1);
        op("If", dev.edgerun.runtime.ops.control.If.class, 1, 11, 13, 16, 19, 21, 23, 24);
        op("Loop", dev.edgerun.runtime.ops.control.Loop.class, 1, 11, 13, 16, 19, 21, 23, 24);
        op("Scan", dev.edgerun.runtime.ops.control.Scan.class, 8, 9, 11, 16, 19, 21, 23, 24);
        op("SequenceEmpty", dev.edgerun.runtime.ops.sequence.SequenceEmpty.class, 11);
        op("SequenceConstruct", dev.edgerun.runtime.ops.sequence.SequenceConstruct.class, 11);
        op("SequenceAt", dev.edgerun.runtime.ops.sequence.SequenceAt.class, 11);
        op("SequenceInsert", dev.edgerun.runtime.ops.sequence.SequenceInsert.class, 11);
        op("SequenceErase", dev.edgerun.runtime.ops.sequence.SequenceErase.class, 11);
        op("SequenceLength", dev.edgerun.runtime.ops.sequence.SequenceLength.class, 11);
        op("SplitToSequence", dev.edgerun.runtime.ops.sequence.SplitToSequence.class, 11, 24);
        op("ConcatFromSequence", dev.edgerun.runtime.ops.sequence.ConcatFromSequence.class, 11);
        op("SequenceMap", dev.edgerun.runtime.ops.sequence.SequenceMap.class, 17);
        op("Optional", dev.edgerun.runtime.ops.sequence.Optional.class, 15);
        op("OptionalHasElement", dev.edgerun.runtime.ops.sequence.OptionalHasElement.class, 15, 18);
        op("OptionalGetElement", dev.edgerun.runtime.ops.sequence.OptionalGetElement.class, 15, 18);
        op("Einsum", dev.edgerun.runtime.ops.misc.Einsum.class, 12);
        op("NonMaxSuppression", dev.edgerun.runtime.ops.misc.NonMaxSuppression.class, 10, 11);
        op("RoiAlign", dev.edgerun.runtime.ops.misc.RoiAlign.class, 10, 16, 22);
        op("GridSample", dev.edgerun.runtime.ops.misc.GridSample.class, 16, 20, 22);
        op("AffineGrid", dev.edgerun.runtime.ops.misc.AffineGrid.class, 20);
        op("DFT", dev.edgerun.runtime.ops.misc.DFT.class, 17, 20);
        op("STFT", dev.edgerun.runtime.ops.misc.STFT.class, 17);
        op("HannWindow", dev.edgerun.runtime.ops.misc.Windows::hann, 17);
        op("HammingWindow", dev.edgerun.runtime.ops.misc.Windows::hamming, 17);
        op("BlackmanWindow", dev.edgerun.runtime.ops.misc.Windows::blackman, 17);
        op("MelWeightMatrix", dev.edgerun.runtime.ops.misc.MelWeightMatrix.class, 17);
        op("Det", dev.edgerun.runtime.ops.misc.Det.class, 11, 22);
        op("Attention", dev.edgerun.runtime.ops.misc.Attention.class, 23, 24);
        op("RotaryEmbedding", dev.edgerun.runtime.ops.misc.RotaryEmbedding.class, 23);
        op("LinearAttention", dev.edgerun.runtime.ops.misc.LinearAttention.class, 27);
        op("CausalConvWithState", dev.edgerun.runtime.ops.misc.CausalConvWithState.class, 27);
        opIn("ai.onnx.preview", "FlexAttention", dev.edgerun.runtime.ops.misc.FlexAttention.class, 1);
        opIn("ai.onnx.ml", "Binarizer", dev.edgerun.runtime.ops.misc.Binarizer.class, 1);
        opIn("ai.onnx.ml", "ArrayFeatureExtractor", dev.edgerun.runtime.ops.misc.ArrayFeatureExtractor.class, 1);
        opIn("ai.onnx.ml", "LabelEncoder", dev.edgerun.runtime.ops.misc.LabelEncoder.class, 2, 4);
        opIn("ai.onnx.ml", "TreeEnsemble", dev.edgerun.runtime.ops.misc.TreeEnsemble.class, 5);
        op("ImageDecoder", dev.edgerun.runtime.ops.misc.ImageDecoder.class, 20);
        op("StringConcat", dev.edgerun.runtime.ops.misc.StringConcat.class, 20);
        op("StringSplit", dev.edgerun.runtime.ops.misc.StringSplit.class, 20);
        op("RegexFullMatch", dev.edgerun.runtime.ops.misc.RegexFullMatch.class, 20);
        op("StringNormalizer", dev.edgerun.runtime.ops.misc.StringNormalizer.class, 10);
        op("TfIdfVectorizer", dev.edgerun.runtime.ops.misc.TfIdfVectorizer.class, 9);
        opIn("ai.onnx.preview.training", "Adagrad", dev.edgerun.runtime.ops.misc.Adagrad.class, 1);
        opIn("ai.onnx.preview.training", "Adam", dev.edgerun.runtime.ops.misc.Adam.class, 1);
        opIn("ai.onnx.preview.training", "Momentum", dev.edgerun.runtime.ops.misc.Momentum.class, 1);
        op("RandomUniform", dev.edgerun.runtime.ops.misc.RandomOps::uniform, 1, 22);
        op("RandomNormal", dev.edgerun.runtime.ops.misc.RandomOps::normal, 1, 22);
        op("RandomUniformLike", dev.edgerun.runtime.ops.misc.RandomOps::uniformLike, 1, 22);
        op("RandomNormalLike", dev.edgerun.runtime.ops.misc.RandomOps::normalLike, 1, 22);
        op("Bernoulli", dev.edgerun.runtime.ops.misc.RandomOps::bernoulli, 15, 22);
        op("Multinomial", dev.edgerun.runtime.ops.misc.Multinomial.class, 7, 22);
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
