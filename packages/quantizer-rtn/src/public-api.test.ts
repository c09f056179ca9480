import { expect, test } from "vitest";

test("public API", async () => {
  expect(Object.keys(await import("./index.js")).sort()).toEqual([
    "FLT_MAX",
    "groupMinMax",
    "layoutGroups",
    "roundHalfEven",
    "rtnCodes",
    "rtnGrouping",
    "rtnLevels",
    "rtnOptionsSchema",
    "rtnParams",
    "rtnQuantize",
    "rtnQuantizeTensor",
    "rtnQuantizer",
  ]);
});
