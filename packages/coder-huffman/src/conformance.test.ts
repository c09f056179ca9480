import { describeCoderConformance } from "@quantforge/core/testing";
import { huffmanCoder } from "./index.js";

// Stream layout: "QFHU" magic, the format version at byte 4, and a trailing CRC-32 (stream-impl.ts).
describeCoderConformance(huffmanCoder(), { options: [{}, { maxCodeLength: 9 }], versionOffset: 4, trailingCrc32: true });
