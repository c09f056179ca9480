import { describeQuantizerConformance } from "@quantforge/core/testing";
import { supportRegionQuantizer } from "./index.js";

describeQuantizerConformance(supportRegionQuantizer(), {
  options: [
    {},
    { bits: 3, supportRegion: "iterative" },
    { bits: 2, supportRegion: "max", scope: "global" },
    { bits: 4, supportRegion: "sigma:3" },
    { bits: 2, supportRegion: "percentile:99.9", scope: "global" },
    { bits: 3, supportRegion: "value:0.5" },
    { bits: 2, supportRegion: "mse" },
    { bits: 4, supportRegion: "mse", scope: "global" },
    { bits: 2, midtread: true },
    { bits: 3, supportRegion: "max", midtread: true, scope: "global" },
    { bits: 4, supportRegion: "percentile:99.9", midtread: true },
    { bits: 2, granularity: "channel" },
    { bits: 3, granularity: "channel", supportRegion: "mse", axis: 0 },
    { bits: 4, granularity: "channel", midtread: true, supportRegion: "max" },
  ],
  invalidOptions: [
    { bits: 1 }, { bits: 5 }, { bits: 2.5 }, { supportRegion: "best" }, { supportRegion: "sigma:0" }, { supportRegion: "sigma:x" },
    { supportRegion: "percentile:0" }, { supportRegion: "percentile:101" }, { supportRegion: "value:-1" }, { supportRegion: 3 },
    { scope: "channel" }, { bogus: 1 }, { midtread: true, supportRegion: "mse" }, { midtread: true, supportRegion: "iterative" }, { midtread: "yes" }, { granularity: "channel", scope: "global" }, { granularity: "channel", supportRegion: "value:0.1" }, { granularity: "group" },
  ],
});
