export { loadOnnxModelProbe } from "./onnx-probe.js";
export type { OnnxModelProbe, OnnxProbeOptions } from "./onnx-probe.js";
export { weightsAsInputs } from "./weights-as-inputs.js";
