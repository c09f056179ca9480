#!/usr/bin/env python3
"""The naive numpy peer of `quantforge run --quantizer rtn --bits 8 --coder fixed --out x.qf`
(issue 18): read a safetensors file with frombuffer, per tensor min/max, round, clip, pack to
bytes, write them, dequantize and accumulate the SQNR. No container, no checks: the floor a
straightforward script reaches. Usage: naive_rtn.py in.safetensors out.bin [bits]
"""
import json
import struct
import sys

import numpy as np


def main() -> None:
    src, dst = sys.argv[1], sys.argv[2]
    bits = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    levels = 2 ** bits
    with open(src, "rb") as f:
        raw = f.read()
    (hlen,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + hlen])
    base = 8 + hlen
    signal = noise = 0.0
    with open(dst, "wb") as out:
        for name, info in header.items():
            if name == "__metadata__" or info["dtype"] != "F32":
                continue
            a, b = info["data_offsets"]
            w = np.frombuffer(raw, dtype=np.float32, count=(b - a) // 4, offset=base + a)
            lo, hi = float(w.min()), float(w.max())
            lo, hi = min(lo, 0.0), max(hi, 0.0)
            s = (hi - lo) / (levels - 1) or 1.0
            z = round(-lo / s)
            q = np.clip(np.round(w / s + z), 0, levels - 1).astype(np.uint8 if bits <= 8 else np.uint16)
            out.write(q.tobytes())
            d = (q.astype(np.float32) - z) * np.float32(s)
            e = w.astype(np.float64) - d
            signal += float(np.dot(w.astype(np.float64), w))
            noise += float(np.dot(e, e))
    print(json.dumps({"sqnrDb": 10 * np.log10(signal / noise)}))


if __name__ == "__main__":
    main()
