export { rtnQuantizer, rtnOptionsSchema, rtnQuantizeTensor, rtnGrouping } from "./rtn-quantizer.js";
export type { RtnOptions, RtnOptionsInput } from "./rtn-quantizer.js";
export { rtnQuantize, rtnParams, rtnCodes, groupMinMax, rtnLevels, layoutGroups, roundHalfEven, FLT_MAX } from "./rtn-impl.js";
export type { RtnScheme, RtnZero, RtnLayout, RtnGridSpec, RtnParams, RtnResult } from "./rtn-impl.js";
