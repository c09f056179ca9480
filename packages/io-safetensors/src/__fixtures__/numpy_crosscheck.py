"""Independent safetensors reader/writer written from the spec with numpy only.

Usage: numpy_crosscheck.py IN OUT
Reads IN (written by quantforge), checks its layout, prints what it read as JSON, and writes OUT
with F64/F16/BF16/F32 tensors derived from IN plus every float16 bit pattern.
"""
import json
import struct
import sys

import numpy as np

src, dst = sys.argv[1], sys.argv[2]
raw = open(src, "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
assert n % 8 == 0, "header length is not a multiple of 8"
text = raw[8 : 8 + n].decode("utf-8")
assert text.rstrip(" ") == text.strip(), "header padding is not trailing spaces"
header = json.loads(text)
meta = header.pop("__metadata__", {})
data = raw[8 + n :]

pos = 0
for b, e in sorted(tuple(v["data_offsets"]) for v in header.values()):
    assert b == pos, "hole or overlap in the data section"
    pos = e
assert pos == len(data), "bytes after the last tensor"

read = {}
out = {}
for name, v in header.items():
    assert v["dtype"] == "F32", v["dtype"]
    b, e = v["data_offsets"]
    a = np.frombuffer(data[b:e], dtype="<f4").reshape(v["shape"])
    read[name] = {"shape": v["shape"], "bits": a.view("<u4").ravel().tolist()}
    out[name + ".f64"] = ("F64", a.astype("<f8"))
    with np.errstate(over="ignore"):
        h = a.astype("<f2")  # numpy's float32 -> float16 (round to nearest even)
    out[name + ".f16"] = ("F16", h)
    out[name + ".f16.as_f32"] = ("F32", h.astype("<f4"))
    flat = a.ravel()  # 1-d even for scalars, so masked assignment works
    u = flat.view("<u4").astype(np.uint64)
    bf = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")  # bfloat16, round to nearest even
    nan = np.isnan(flat)
    bf[nan] = ((u[nan] >> 16) | 0x40).astype("<u2")
    bf = bf.reshape(a.shape)
    out[name + ".bf16"] = ("BF16", bf)
    # Widened through a 1-d view: numpy < 2 cannot change the itemsize of a 0-d array (scalars).
    out[name + ".bf16.as_f32"] = ("F32", (bf.reshape(-1).astype("<u4") << 16).view("<f4").reshape(a.shape))

every = np.arange(65536, dtype="<u2").view("<f2")
out["every.f16"] = ("F16", every)
out["every.f16.as_f32"] = ("F32", every.astype("<f4"))

# Lay out like the reference writer: keys sorted by name, json.dumps' default separators.
hdr = {"__metadata__": {"writer": "numpy", **meta}}
chunks = []
off = 0
for name in sorted(out):
    dtype, arr = out[name]
    buf = np.ascontiguousarray(arr).tobytes()
    hdr[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [off, off + len(buf)]}
    chunks.append(buf)
    off += len(buf)
hb = json.dumps(hdr).encode("utf-8")
hb += b" " * ((8 - len(hb) % 8) % 8)
with open(dst, "wb") as f:
    f.write(struct.pack("<Q", len(hb)))
    f.write(hb)
    for c in chunks:
        f.write(c)
print(json.dumps({"metadata": meta, "tensors": read}))
