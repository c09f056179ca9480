import { describeCoderConformance } from "@quantforge/core/testing";
import { fixedCoder } from "./index.js";

// Stream layout: "QFFX" magic, then the format version at byte 4, and a trailing CRC-32.
describeCoderConformance(fixedCoder(), { versionOffset: 4, trailingCrc32: true });
