/**
 * `@quantforge/io-tfjs/testing`: builders of small, real TensorFlow.js models for tests and
 * benchmarks — a hand-assembled graph model (Conv2D/BiasAdd/Relu/Reshape/MatMul) with weights
 * in several groups and shards, optionally stored with tfjs's own quantization, and a layers
 * model saved by tfjs itself.
 *
 * @packageDocumentation
 */
export { GRAPH_WEIGHTS, cpuTf, scratch, writeGraphModel, writeLayersModel, randomInput } from "./fixtures.js";
