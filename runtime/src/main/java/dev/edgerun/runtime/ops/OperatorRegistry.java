package dev.edgerun.runtime.ops;

import java.util.ArrayList;
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
 */
public final class OperatorRegistry {

    /** One row: {@code versions} are the spec's since-versions this class implements, ascending. */
    public record Entry(String domain, String opType, int[] versions, Operator operator) {
        public int minVersion() {
            return versions[0];
        }
    }

    private static final Map<String, Entry> TABLE = new TreeMap<>();

    private static void op(String opType, Supplier<? extends Operator> factory, int... versions) {
        opIn("", opType, factory, versions);
    }

    private static void opIn(String domain, String opType, Supplier<? extends Operator> factory, int... versions) {
        Entry previous = TABLE.put(key(domain, opType), new Entry(domain, opType, versions, factory.get()));
        if (previous != null) throw new IllegalStateException("operator registered twice: " + opType);
    }

    static {
        // ---- element-wise arithmetic, math, comparison, logic, activations, Cast (ops/elementwise) ----
        // (section: elementwise)
        op("Add", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 1, 6, 7, 13, 14);
        op("Sub", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 1, 6, 7, 13, 14);
        op("Mul", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 1, 6, 7, 13, 14);
        op("Div", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 1, 6, 7, 13, 14);
        op("Pow", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 1, 7, 12, 13, 15);
        op("Mod", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 10, 13);
        op("PRelu", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 1, 6, 7, 9, 16);
        op("Sum", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 1, 6, 8, 13);
        op("Mean", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 1, 6, 8, 13);
        op("Min", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 1, 6, 8, 12, 13);
        op("Max", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 1, 6, 8, 12, 13);
        op("Equal", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 1, 7, 11, 13, 19);
        op("Less", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 1, 7, 9, 13);
        op("LessOrEqual", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 12, 16);
        op("Greater", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 1, 7, 9, 13);
        op("GreaterOrEqual", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 12, 16);
        op("And", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 1, 7);
        op("Or", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 1, 7);
        op("Xor", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 1, 7);
        op("BitwiseAnd", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 18);
        op("BitwiseOr", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 18);
        op("BitwiseXor", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 18);
        op("BitShift", dev.edgerun.runtime.ops.elementwise.ElementwiseBinary::new, 11);
        op("Relu", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1, 6, 13, 14);
        op("LeakyRelu", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1, 6, 16);
        op("Sigmoid", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1, 6, 13);
        op("Tanh", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1, 6, 13);
        op("Erf", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 9, 13);
        op("Exp", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1, 6, 13);
        op("Log", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1, 6, 13);
        op("Sqrt", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1, 6, 13);
        op("Neg", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1, 6, 13);
        op("Abs", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1, 6, 13);
        op("Reciprocal", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1, 6, 13);
        op("Floor", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1, 6, 13);
        op("Ceil", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1, 6, 13);
        op("Round", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 11, 22);
        op("Sign", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 9, 13);
        op("Sin", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 7, 22);
        op("Cos", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 7, 22);
        op("Tan", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 7, 22);
        op("Asin", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 7, 22);
        op("Acos", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 7, 22);
        op("Atan", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 7, 22);
        op("Sinh", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 9, 22);
        op("Cosh", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 9, 22);
        op("Asinh", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 9, 22);
        op("Acosh", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 9, 22);
        op("Atanh", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 9, 22);
        op("Elu", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1, 6, 22);
        op("Selu", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1, 6, 22);
        op("Celu", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 12);
        op("HardSigmoid", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1, 6, 22);
        op("HardSwish", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 14, 22);
        op("Softplus", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1, 22);
        op("Softsign", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1, 22);
        op("ThresholdedRelu", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 10, 22);
        op("Gelu", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 20);
        op("Mish", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 18, 22);
        op("Swish", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 24);
        op("Shrink", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 9);
        op("IsNaN", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 9, 13, 20);
        op("IsInf", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 10, 20);
        op("Not", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 1);
        op("BitwiseNot", dev.edgerun.runtime.ops.elementwise.ElementwiseUnary::new, 18);
        op("Clip", dev.edgerun.runtime.ops.elementwise.Clip::new, 1, 6, 11, 12, 13);
        op("Where", dev.edgerun.runtime.ops.elementwise.Where::new, 9, 16);
        op("Cast", dev.edgerun.runtime.ops.elementwise.Cast::new, 1, 6, 9, 13, 19, 21, 23, 24, 25);
        op("CastLike", dev.edgerun.runtime.ops.elementwise.Cast::new, 15, 19, 21, 23, 24, 25);
        op("Dropout", dev.edgerun.runtime.ops.elementwise.Dropout::new, 1, 6, 7, 10, 12, 13, 22);
        op("Identity", dev.edgerun.runtime.ops.elementwise.Identity::new, 1, 13, 14, 16, 19, 21, 23, 24, 25);
        op("BitCast", dev.edgerun.runtime.ops.elementwise.BitCast::new, 26);

        // ---- linear algebra, convolution, pooling, normalization, softmax (ops/nn) ----
        // (section: nn)
        op("Gemm", dev.edgerun.runtime.ops.nn.Gemm::new, 1, 6, 7, 9, 11, 13);
        op("MatMul", dev.edgerun.runtime.ops.nn.MatMul::new, 1, 9, 13);
        op("Conv", dev.edgerun.runtime.ops.nn.Conv::new, 1, 11, 22);
        op("ConvTranspose", dev.edgerun.runtime.ops.nn.ConvTranspose::new, 1, 11, 22);
        op("Col2Im", dev.edgerun.runtime.ops.nn.Col2Im::new, 18);
        op("MaxPool", dev.edgerun.runtime.ops.nn.MaxPool::new, 1, 8, 10, 11, 12, 22);
        op("AveragePool", dev.edgerun.runtime.ops.nn.AveragePool::new, 1, 7, 10, 11, 19, 22);
        op("LpPool", dev.edgerun.runtime.ops.nn.LpPool::new, 1, 2, 11, 18, 22);
        op("GlobalAveragePool", dev.edgerun.runtime.ops.nn.GlobalAveragePool::new, 1, 22);
        op("GlobalMaxPool", dev.edgerun.runtime.ops.nn.GlobalMaxPool::new, 1, 22);
        op("GlobalLpPool", dev.edgerun.runtime.ops.nn.GlobalLpPool::new, 1, 2, 22);
        op("MaxUnpool", dev.edgerun.runtime.ops.nn.MaxUnpool::new, 9, 11, 22);
        op("Softmax", dev.edgerun.runtime.ops.nn.Softmax::new, 1, 11, 13);
        op("LogSoftmax", dev.edgerun.runtime.ops.nn.LogSoftmax::new, 1, 11, 13);
        op("Hardmax", dev.edgerun.runtime.ops.nn.Hardmax::new, 1, 11, 13);
        op("BatchNormalization", dev.edgerun.runtime.ops.nn.BatchNormalization::new, 1, 6, 7, 9, 14, 15);
        op("LayerNormalization", dev.edgerun.runtime.ops.nn.LayerNormalization::new, 17);
        op("InstanceNormalization", dev.edgerun.runtime.ops.nn.InstanceNormalization::new, 1, 6, 22);
        op("GroupNormalization", dev.edgerun.runtime.ops.nn.GroupNormalization::new, 18, 21);
        op("LpNormalization", dev.edgerun.runtime.ops.nn.LpNormalization::new, 1, 22);
        op("MeanVarianceNormalization", dev.edgerun.runtime.ops.nn.MeanVarianceNormalization::new, 1, 9, 13);
        op("LRN", dev.edgerun.runtime.ops.nn.LRN::new, 1, 13);
        op("RMSNormalization", dev.edgerun.runtime.ops.nn.RMSNormalization::new, 23);
        op("NegativeLogLikelihoodLoss", dev.edgerun.runtime.ops.nn.NegativeLogLikelihoodLoss::new, 12, 13, 22);
        op("SoftmaxCrossEntropyLoss", dev.edgerun.runtime.ops.nn.SoftmaxCrossEntropyLoss::new, 12, 13);
        op("DeformConv", dev.edgerun.runtime.ops.nn.DeformConv::new, 19, 22);

        // ---- shape and data movement, indexing, reductions (ops/tensor) ----
        // (section: tensor)
        op("Constant", dev.edgerun.runtime.ops.tensor.Constant::new, 1, 9, 11, 12, 13, 19, 21, 23);
        op("Shape", dev.edgerun.runtime.ops.tensor.Shape::new, 1, 13, 15, 19, 21, 23);
        op("Size", dev.edgerun.runtime.ops.tensor.Size::new, 1, 13, 19, 21, 23);
        op("Reshape", dev.edgerun.runtime.ops.tensor.Reshape::new, 1, 5, 13, 14, 19, 21, 23);
        op("Flatten", dev.edgerun.runtime.ops.tensor.Flatten::new, 1, 9, 11, 13, 21, 23);
        op("Squeeze", dev.edgerun.runtime.ops.tensor.Squeeze::new, 1, 11, 13, 21, 23);
        op("Unsqueeze", dev.edgerun.runtime.ops.tensor.Unsqueeze::new, 1, 11, 13, 21, 23);
        op("Transpose", dev.edgerun.runtime.ops.tensor.Transpose::new, 1, 13, 21, 23);
        op("Concat", dev.edgerun.runtime.ops.tensor.Concat::new, 1, 4, 11, 13);
        op("Split", dev.edgerun.runtime.ops.tensor.Split::new, 1, 2, 11, 13, 18);
        op("Gather", dev.edgerun.runtime.ops.tensor.Gather::new, 1, 11, 13);
        op("Expand", dev.edgerun.runtime.ops.tensor.Expand::new, 8, 13);
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
        op("Slice", dev.edgerun.runtime.ops.tensor.Slice::new, 1, 10, 11, 13);
        op("Pad", dev.edgerun.runtime.ops.tensor.Pad::new, 1, 2, 11, 13, 18, 19, 21, 23);
        op("Tile", dev.edgerun.runtime.ops.tensor.Tile::new, 1, 6, 13);
        op("ConstantOfShape", dev.edgerun.runtime.ops.tensor.ConstantOfShape::new, 9, 20, 21, 23);
        op("Range", dev.edgerun.runtime.ops.tensor.Range::new, 11);
        op("GatherElements", dev.edgerun.runtime.ops.tensor.GatherElements::new, 11, 13);
        op("GatherND", dev.edgerun.runtime.ops.tensor.GatherND::new, 11, 12, 13);
        op("ScatterElements", dev.edgerun.runtime.ops.tensor.ScatterElements::new, 11, 13, 16, 18);
        op("Scatter", dev.edgerun.runtime.ops.tensor.ScatterElements::new, 9, 11);
        op("ScatterND", dev.edgerun.runtime.ops.tensor.ScatterND::new, 11, 13, 16, 18);
        op("DepthToSpace", () -> new dev.edgerun.runtime.ops.tensor.DepthToSpace(true), 1, 11, 13);
        op("SpaceToDepth", () -> new dev.edgerun.runtime.ops.tensor.DepthToSpace(false), 1, 13);
        op("EyeLike", dev.edgerun.runtime.ops.tensor.EyeLike::new, 9, 22);
        op("Trilu", dev.edgerun.runtime.ops.tensor.Trilu::new, 14);
        op("CumSum", () -> new dev.edgerun.runtime.ops.tensor.Cumulative(false), 11, 14);
        op("CumProd", () -> new dev.edgerun.runtime.ops.tensor.Cumulative(true), 26);
        op("OneHot", dev.edgerun.runtime.ops.tensor.OneHot::new, 9, 11);
        op("ReverseSequence", dev.edgerun.runtime.ops.tensor.ReverseSequence::new, 10);
        op("CenterCropPad", dev.edgerun.runtime.ops.tensor.CenterCropPad::new, 18);
        op("Compress", dev.edgerun.runtime.ops.tensor.Compress::new, 9, 11);
        op("NonZero", dev.edgerun.runtime.ops.tensor.NonZero::new, 9, 13);
        op("TopK", dev.edgerun.runtime.ops.tensor.TopK::new, 1, 10, 11, 24);
        op("Unique", dev.edgerun.runtime.ops.tensor.Unique::new, 11);
        op("TensorScatter", dev.edgerun.runtime.ops.tensor.TensorScatter::new, 24);

        // ---- control flow, sequences, recurrent, quantization, misc (ops/control, ops/quant, ops/rnn) ----
        // (section: misc)
        op("LSTM", dev.edgerun.runtime.ops.rnn.LSTM::new, 1, 7, 14);
        op("GRU", dev.edgerun.runtime.ops.rnn.GRU::new, 1, 3, 7, 14);
        op("RNN", dev.edgerun.runtime.ops.rnn.RNN::new, 1, 7, 14);
        op("QuantizeLinear", dev.edgerun.runtime.ops.quant.QuantizeLinear::new, 10, 13, 19, 21, 23, 24, 25);
        op("DequantizeLinear", dev.edgerun.runtime.ops.quant.DequantizeLinear::new, 10, 13, 19, 21, 23, 24, 25);
        op("DynamicQuantizeLinear", dev.edgerun.runtime.ops.quant.DynamicQuantizeLinear::new, 11);
        op("MatMulInteger", dev.edgerun.runtime.ops.quant.MatMulInteger::new, 10);
        op("ConvInteger", dev.edgerun.runtime.ops.quant.ConvInteger::new, 10);
        op("QLinearMatMul", dev.edgerun.runtime.ops.quant.QLinearMatMul::new, 10, 21);
        op("QLinearConv", dev.edgerun.runtime.ops.quant.QLinearConv::new, 10);
        opIn("com.microsoft", "QLinearAdd", dev.edgerun.runtime.ops.quant.QLinearAdd::new, 1);
        opIn("com.microsoft", "QLinearLeakyRelu", dev.edgerun.runtime.ops.quant.QLinearLeakyRelu::new, 1);
        opIn("dev.edgerun", "QLinearMaxPool", dev.edgerun.runtime.ops.quant.QLinearMaxPool::new, 1);
        op("If", dev.edgerun.runtime.ops.control.If::new, 1, 11, 13, 16, 19, 21, 23, 24);
        op("Loop", dev.edgerun.runtime.ops.control.Loop::new, 1, 11, 13, 16, 19, 21, 23, 24);
        op("Scan", dev.edgerun.runtime.ops.control.Scan::new, 8, 9, 11, 16, 19, 21, 23, 24);
        op("SequenceEmpty", dev.edgerun.runtime.ops.sequence.SequenceEmpty::new, 11);
        op("SequenceConstruct", dev.edgerun.runtime.ops.sequence.SequenceConstruct::new, 11);
        op("SequenceAt", dev.edgerun.runtime.ops.sequence.SequenceAt::new, 11);
        op("SequenceInsert", dev.edgerun.runtime.ops.sequence.SequenceInsert::new, 11);
        op("SequenceErase", dev.edgerun.runtime.ops.sequence.SequenceErase::new, 11);
        op("SequenceLength", dev.edgerun.runtime.ops.sequence.SequenceLength::new, 11);
        op("SplitToSequence", dev.edgerun.runtime.ops.sequence.SplitToSequence::new, 11, 24);
        op("ConcatFromSequence", dev.edgerun.runtime.ops.sequence.ConcatFromSequence::new, 11);
        op("SequenceMap", dev.edgerun.runtime.ops.sequence.SequenceMap::new, 17);
        op("Optional", dev.edgerun.runtime.ops.sequence.Optional::new, 15);
        op("OptionalHasElement", dev.edgerun.runtime.ops.sequence.OptionalHasElement::new, 15, 18);
        op("OptionalGetElement", dev.edgerun.runtime.ops.sequence.OptionalGetElement::new, 15, 18);
        op("Einsum", dev.edgerun.runtime.ops.misc.Einsum::new, 12);
        op("NonMaxSuppression", dev.edgerun.runtime.ops.misc.NonMaxSuppression::new, 10, 11);
        op("RoiAlign", dev.edgerun.runtime.ops.misc.RoiAlign::new, 10, 16, 22);
        op("GridSample", dev.edgerun.runtime.ops.misc.GridSample::new, 16, 20, 22);
        op("AffineGrid", dev.edgerun.runtime.ops.misc.AffineGrid::new, 20);
        op("DFT", dev.edgerun.runtime.ops.misc.DFT::new, 17, 20);
        op("STFT", dev.edgerun.runtime.ops.misc.STFT::new, 17);
        op("HannWindow", dev.edgerun.runtime.ops.misc.Windows::hann, 17);
        op("HammingWindow", dev.edgerun.runtime.ops.misc.Windows::hamming, 17);
        op("BlackmanWindow", dev.edgerun.runtime.ops.misc.Windows::blackman, 17);
        op("MelWeightMatrix", dev.edgerun.runtime.ops.misc.MelWeightMatrix::new, 17);
        op("Det", dev.edgerun.runtime.ops.misc.Det::new, 11, 22);
        op("Attention", dev.edgerun.runtime.ops.misc.Attention::new, 23, 24);
        op("RotaryEmbedding", dev.edgerun.runtime.ops.misc.RotaryEmbedding::new, 23);
        op("LinearAttention", dev.edgerun.runtime.ops.misc.LinearAttention::new, 27);
        op("CausalConvWithState", dev.edgerun.runtime.ops.misc.CausalConvWithState::new, 27);
        opIn("ai.onnx.preview", "FlexAttention", dev.edgerun.runtime.ops.misc.FlexAttention::new, 1);
        opIn("ai.onnx.ml", "Binarizer", dev.edgerun.runtime.ops.misc.Binarizer::new, 1);
        opIn("ai.onnx.ml", "ArrayFeatureExtractor", dev.edgerun.runtime.ops.misc.ArrayFeatureExtractor::new, 1);
        opIn("ai.onnx.ml", "LabelEncoder", dev.edgerun.runtime.ops.misc.LabelEncoder::new, 2, 4);
        opIn("ai.onnx.ml", "TreeEnsemble", dev.edgerun.runtime.ops.misc.TreeEnsemble::new, 5);
        op("ImageDecoder", dev.edgerun.runtime.ops.misc.ImageDecoder::new, 20);
        op("StringConcat", dev.edgerun.runtime.ops.misc.StringConcat::new, 20);
        op("StringSplit", dev.edgerun.runtime.ops.misc.StringSplit::new, 20);
        op("RegexFullMatch", dev.edgerun.runtime.ops.misc.RegexFullMatch::new, 20);
        op("StringNormalizer", dev.edgerun.runtime.ops.misc.StringNormalizer::new, 10);
        op("TfIdfVectorizer", dev.edgerun.runtime.ops.misc.TfIdfVectorizer::new, 9);
        opIn("ai.onnx.preview.training", "Adagrad", dev.edgerun.runtime.ops.misc.Adagrad::new, 1);
        opIn("ai.onnx.preview.training", "Adam", dev.edgerun.runtime.ops.misc.Adam::new, 1);
        opIn("ai.onnx.preview.training", "Momentum", dev.edgerun.runtime.ops.misc.Momentum::new, 1);
        op("RandomUniform", dev.edgerun.runtime.ops.misc.RandomOps::uniform, 1, 22);
        op("RandomNormal", dev.edgerun.runtime.ops.misc.RandomOps::normal, 1, 22);
        op("RandomUniformLike", dev.edgerun.runtime.ops.misc.RandomOps::uniformLike, 1, 22);
        op("RandomNormalLike", dev.edgerun.runtime.ops.misc.RandomOps::normalLike, 1, 22);
        op("Bernoulli", dev.edgerun.runtime.ops.misc.RandomOps::bernoulli, 15, 22);
        op("Multinomial", dev.edgerun.runtime.ops.misc.Multinomial::new, 7, 22);
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
