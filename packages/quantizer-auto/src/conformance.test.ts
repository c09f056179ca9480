import { describeQuantizerConformance } from "@quantforge/core/testing";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import { autoQuantizer } from "./auto-plugin.js";
import { mlpProbe } from "./probe.test-support.js";

// auto needs a forward pass: a plain-JS two-output network (with a sparse outlier kernel) is the model.
describeQuantizerConformance(autoQuantizer({ plugins: [rtnQuantizer(), uniformMseQuantizer()] }), {
  model: mlpProbe(),
  options: [{ bits: 4, candidateBits: [2, 4, 8], samples: 4 }],
  invalidOptions: [{ bits: 0 }, { bytes: -1 }, { candidates: [] }, { samples: 0 }],
  numRuns: 4,
});
