import { describeCoderConformance } from "@quantforge/core/testing";
import { ransCoder } from "./index.js";

// Stream layout: "QFRA" magic, the format version at byte 4, and a trailing CRC-32 (stream-impl.ts).
describeCoderConformance(ransCoder(), { options: [{}, { maxPrecision: 9, lanes: 2 }], versionOffset: 4, trailingCrc32: true });
