/**
 * Tokens a head stream (heads-table.ts) can name by index before it has spelled them: pieces
 * common to the tensor and layer names that TensorFlow/Keras, tfjs, PyTorch and ONNX exporters
 * write (as tokenize() cuts them: each piece ends at a separator). Why: a file spells each token
 * once, at ~5 bits a character; a listed one costs one 8-bit index. Append only: the index of a
 * token is part of the format.
 */
export const STATIC_TOKENS: readonly string[] = [
  ...["StatefulPartitionedCall/", "StatefulPartitionedCall:", "functional_", "sequential/", "sequential_", "model/", "model_", "model.", "unknown", "unknown_"],
  ...["conv2d/", "conv2d_", "depthwise_", "depthwise/", "depthwise", "separable_", "pointwise_", "pointwise/", "dense/", "dense_", "dense.", "conv/", "conv_", "conv."],
  ...["Conv2D", "Conv2D/", "Conv2D_", "DepthwiseConv2dNative", "BiasAdd", "BiasAdd/", "MatMul", "MatMul/", "MatMul_", "Relu", "Relu6", "Relu/", "Sigmoid", "Tanh", "Add", "Mul"],
  ...["kernel", "bias", "weight", "weights", "biases", "gamma", "beta", "moving_", "mean", "variance", "running_", "var", "filter", "filters", "offset", "scale"],
  ...["batch_", "normalization_", "normalization/", "FusedBatchNormV3", "bn_", "bn.", "bn/", "BatchNorm/", "LayerNorm.", "norm.", "layer_", "layers.", "layer.", "block_", "blocks."],
  ...["encoder.", "decoder.", "attention.", "self.", "query.", "key.", "value.", "output.", "embeddings.", "embedding_", "fc.", "fc_", "fc/", "head.", "backbone.", "features."],
  ...["re_", "lu_", "add_", "mul_", "mul/", "mul", "sub", "Const", "Const_", "Pad/", "Reshape/", "Reshape_", "concat/", "concat_", "ExpandDims/", "Mean/", "ReadVariableOp", "onnx::"],
  ...["Conv_", "Gemm_", "conv1/", "conv2/", "conv0/", "reduction_", "global_", "average_", "max_", "pooling2d/", "pooling2d_", "up_", "sampling2d/", "expand/", "project/", "lstm_", "cell/"],
];
