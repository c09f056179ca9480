"""tfjs-converter's quantize_weights (tensorflowjs/quantization.py), for cross-checking.

The converter pins NumPy 1.x, where value-based casting keeps `float32_array op float64_scalar`
in float32. NumPy 2 promotes such expressions to float64 (NEP 50), so the float32 casts that
NumPy 1.x applied implicitly are written out here. Reads JSON from stdin:
{"tensors": [{"bits": [uint32 patterns of float32 values], "dtype": "uint8"|"uint16"|"float16"}]}
and prints {"results": [{"codes": [...], "min": float, "scale": float}]} (float16: "halves").
"""
import json
import sys

import numpy as np

DTYPES = {"uint8": np.uint8, "uint16": np.uint16, "float16": np.float16}


def get_affine_quantization_range(min_val, max_val, quantization_dtype):
    quant_max = np.iinfo(quantization_dtype).max
    scale = (max_val - min_val) / quant_max
    if min_val <= 0 <= max_val:
        quantized_zero_point = (0 - min_val) / scale
        nudged_zero_point = np.round(quantized_zero_point)
        nudged_min = -nudged_zero_point * scale
        nudged_max = quant_max * scale + nudged_min
    else:
        nudged_min, nudged_max = min_val, max_val
    return scale, nudged_min, nudged_max


def quantize_weights(data, quantization_dtype):
    if quantization_dtype in [np.uint8, np.uint16]:
        min_val = data.min().astype(np.float64)
        max_val = data.max().astype(np.float64)
        if min_val == max_val:
            return np.zeros_like(data, dtype=quantization_dtype), {"min": float(min_val), "scale": 1.0}
        scale, min_val, max_val = get_affine_quantization_range(min_val, max_val, quantization_dtype)
        f32 = np.float32
        q = np.round((data.clip(f32(min_val), f32(max_val)) - f32(min_val)) / f32(scale)).astype(quantization_dtype)
        return q, {"min": float(min_val), "scale": float(scale)}
    return data.astype(np.float16), {}


def main():
    req = json.load(sys.stdin)
    out = []
    for t in req["tensors"]:
        data = np.array(t["bits"], dtype=np.uint32).view(np.float32)
        q, meta = quantize_weights(data, DTYPES[t["dtype"]])
        if t["dtype"] == "float16":
            out.append({"halves": q.view(np.uint16).tolist()})
        else:
            out.append({"codes": q.astype(np.int64).tolist(), **meta})
    json.dump({"results": out}, sys.stdout)


main()
