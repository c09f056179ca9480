#!/usr/bin/env python3
"""The scikit-learn peer of `quantforge run --quantizer hessian-ecsq --option mode=kmeans
--option clusters=256` (issue 18): read every float32 tensor of a safetensors file with numpy,
fit sklearn.cluster.KMeans(n_clusters=k, n_init=1, random_state=0) on all weights as 1-D points,
and print the MSE of the weights replaced by their centres (float32, like a codebook) and the
fit's own seconds. Whole process = this script's wall time.
Usage: sklearn_kmeans.py in.safetensors [k]
"""
import json
import struct
import sys
import time

import numpy as np
from sklearn.cluster import KMeans


def main() -> None:
    src = sys.argv[1]
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 256
    with open(src, "rb") as f:
        raw = f.read()
    (hlen,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + hlen])
    base = 8 + hlen
    parts = []
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        a, b = info["data_offsets"]
        parts.append(np.frombuffer(raw, dtype=np.float32, count=(b - a) // 4, offset=base + a))
    w = np.concatenate(parts).astype(np.float64)
    t = time.perf_counter()
    km = KMeans(n_clusters=k, n_init=1, random_state=0).fit(w.reshape(-1, 1))
    fit = time.perf_counter() - t
    centres = km.cluster_centers_[:, 0].astype(np.float32).astype(np.float64)
    e = w - centres[km.labels_]
    print(json.dumps({"mse": float(np.dot(e, e) / len(w)), "iterations": int(km.n_iter_), "fitSeconds": fit}))


if __name__ == "__main__":
    main()
