/**
 * The browser-safe part of `@quantforge/model-onnx` (no Node APIs, no onnxruntime-node): the
 * model rewrite that turns float initializers into graph inputs, so that one session of any
 * onnxruntime (onnxruntime-web in a page) runs the model with any weights. The probe itself
 * (`loadOnnxModelProbe`, onnxruntime-node) is the package root.
 *
 * @packageDocumentation
 */
export { weightsAsInputs } from "./weights-as-inputs.js";
export { weightFeeder } from "./weight-feeds.js";
