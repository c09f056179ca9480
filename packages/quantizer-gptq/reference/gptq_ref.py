"""Independent numpy GPTQ reference for the plugin's test (reads JSON on stdin, writes codes).

Follows IST-DASLab/gptq `GPTQ.fasterquant` (blocks, lazy batch updates, act order, percdamp),
with quantforge's documented choices: W is stored [K, N] (the paper's W transposed), dead inputs
keep their weights, a group's grid is fitted when its first element is quantized from the current
values, grids are rtn's (asymmetric, exact zero, float32 scale), nearest code rounds ties up.
H⁻¹ and its upper Cholesky factor are computed the textbook way (inv, then cholesky), not the
plugin's reversed factorisation, so agreement is up to float64 rounding.
"""
import json
import sys

import numpy as np


def round_half_even(x):
    return float(np.round(x))


def grid(lo, hi, bits):
    m = 2 ** bits - 1
    lo, hi = float(np.float32(lo)), float(np.float32(hi))
    if not lo < hi:
        c = lo
        return (1.0 if c == 0 else abs(c)), (1.0 if c < 0 else 0.0)
    s = float(np.float32((hi - lo) / m))
    if s * m < hi - lo:
        s = float(np.nextafter(np.float32(s), np.float32(np.inf)))
    if lo <= 0 <= hi:
        z = round_half_even(-lo / s)
    else:
        ulp = float(np.spacing(np.float32(max(-lo, hi))))
        s = max(s, 4 * ulp)
        z = float(np.float32(-lo / s))
    return s, z


def gptq(w, x, group_of, n_groups, bits, damp, act_order, block):
    K, N = w.shape
    H = 2.0 / x.shape[0] * (x.T.astype(np.float64) @ x.astype(np.float64))
    d = np.diag(H).copy()
    dead = d == 0
    H[dead, dead] = 1
    perm = np.arange(K)
    if act_order:
        perm = np.argsort(-np.diag(H), kind="stable")
    Hp = H[perm][:, perm]
    Hp[np.arange(K), np.arange(K)] += damp * np.mean(np.diag(H))
    U = np.linalg.cholesky(np.linalg.inv(Hp)).T
    W = w.astype(np.float64)[perm].copy()
    pos = np.empty(K, dtype=int)
    pos[perm] = np.arange(K)
    scale = np.zeros(n_groups)
    zero = np.zeros(n_groups)
    ready = np.zeros(n_groups, dtype=bool)
    codes = np.zeros((K, N), dtype=np.int64)
    maxq = 2 ** bits - 1
    for i1 in range(0, K, block):
        i2 = min(K, i1 + block)
        Err = np.zeros((i2 - i1, N))
        for i in range(i1, i2):
            col = perm[i]
            for c in range(N):
                g = group_of[col, c]
                if not ready[g]:
                    ks, cs = np.nonzero(group_of == g)
                    vals = W[pos[ks], cs]
                    scale[g], zero[g] = grid(vals.min(), vals.max(), bits)
                    ready[g] = True
            s, z = scale[group_of[col]], zero[group_of[col]]
            q = np.clip(np.floor(W[i] / s + z + 0.5), 0, maxq)
            codes[col] = q
            deq = ((q - z) * s).astype(np.float32).astype(np.float64)
            err = (W[i] - deq) / U[i, i]
            W[i + 1:i2] -= np.outer(U[i, i + 1:i2], err)
            Err[i - i1] = err
        W[i2:] -= U[i1:i2, i2:].T @ Err
    return codes


def main():
    a = json.load(sys.stdin)
    K, N = a["k"], a["n"]
    w = np.array(a["w"], dtype=np.float32).reshape(K, N)
    x = np.array(a["x"], dtype=np.float32).reshape(-1, K)
    group_of = np.array(a["groups"], dtype=int).reshape(K, N)
    codes = gptq(w, x, group_of, int(group_of.max()) + 1, a["bits"], a["dampening"], a["actOrder"], a["blockSize"])
    json.dump({"codes": codes.reshape(-1).tolist()}, sys.stdout)


main()
