export { type Sink, writeAll } from "./sink.js";
export { qfSink } from "./qf.js";
export { safetensorsSink } from "./safetensors.js";
export { tfjsSink } from "./tfjs.js";
export { onnxSink } from "./onnx.js";
