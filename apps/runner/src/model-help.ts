/**
 * Help texts of the model flags, apart from model-probe.ts so that registering a command does not
 * import the model adapters (issue 18: `run --weights` never loads them).
 */

/** The help text of `--model` / `<model>`. */
export const MODEL_HELP = "a tfjs model.json (graph or layers) or model.onnx, or mnist-mlp/mnist-lenet5";
/** The help text of `--data` with a model. */
export const MODEL_DATA_HELP =
  'model inputs: a .safetensors file with one batch-first tensor per model input (named after it), or a folder of PNG/JPEG images for a model with one image input (sorted by name, resized to the input, NHWC/NCHW from its shape, pixels in [0,1] (int32 inputs: the bytes 0…255) or --input-range); for mnist-mlp/mnist-lenet5 and MNIST layers models "embedded" (their default) or a folder of MNIST IDX files';
/** The help text of `--input-range`. */
export const INPUT_RANGE_HELP = "range of generated model inputs: lo,hi for every input or name=lo,hi for one (repeatable; default floats [0,1), integers 0…9)";
/** The help text of `--input-shape`. */
export const INPUT_SHAPE_HELP = "shape of a model input with unknown dimensions: every dimension but the batch one (repeatable)";
