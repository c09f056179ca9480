export { gpfqQuantizer, gpfqOptions } from "./gpfq-quantizer.js";
export type { GpfqOptions, GpfqOptionsInput } from "./gpfq-quantizer.js";
export { gpfqNeuron, prepareGpfqLayer, ZERO_COLUMN_NORM } from "./gpfq-impl.js";
export type { GpfqLayer } from "./gpfq-impl.js";
