#!/usr/bin/env python3
"""High-precision reference values for @quantforge/theory-laplacian (standard library only).

Evaluates the *naive* closed forms of uniform-laplacian.md §2 (midrise) and their midtread
counterpart with `decimal` at 80 significant digits, where their catastrophic cancellation is
harmless, and finds the MSE-optimal support x_max for σ = 1 by bisection on a central
finite-difference derivative of D (h = 1e-30) — independent of the analytic derivative the
package uses. Writes src/fixtures/reference.json (values as decimal strings, 30 digits).

Run: python3 scripts/reference.py   (takes a few seconds)
"""
import json
import os
from decimal import Decimal as Dec, getcontext

getcontext().prec = 80
ONE = Dec(1)
TWO = Dec(2)
SQRT2 = TWO.sqrt()


def exp(x):
    return x.exp()


def midrise(N, xmax, sigma):
    """Exact D_g, D_o of the N-level midrise quantizer (spec §2, naive form)."""
    d = TWO * xmax / N
    a = SQRT2 / sigma
    q = exp(-a * d)
    c2 = (d * d / 4 - sigma * d / SQRT2 + sigma * sigma) - q * (d * d / 4 + sigma * d / SQRT2 + sigma * sigma)
    dg = c2 * (ONE - q ** (N // 2)) / (ONE - q)
    do = exp(-a * xmax) * (sigma * sigma + sigma * d / SQRT2 + d * d / 4)
    return dg, do


def midtread(N, xmax, sigma):
    """Midtread (N odd): central cell [-Δ/2, Δ/2] -> 0, cells [(j-½)Δ, (j+½)Δ] -> jΔ, overload -> x_max - Δ/2."""
    d = TWO * xmax / N
    a = SQRT2 / sigma
    h = d / 2
    q = exp(-a * d)
    # ∫_{-h}^{h} x² p(x) dx, p = (a/2) e^{-a|x|}
    central = (TWO - exp(-a * h) * ((a * h) ** 2 + 2 * a * h + 2)) / (a * a)
    c2 = (d * d / 4 - sigma * d / SQRT2 + sigma * sigma) - q * (d * d / 4 + sigma * d / SQRT2 + sigma * sigma)
    K = (N - 1) // 2
    dg = central + c2 * exp(-a * h) * (ONE - q ** K) / (ONE - q)
    do = exp(-a * xmax) * (sigma * sigma + sigma * d / SQRT2 + d * d / 4)
    return dg, do


def total(fn, N, x, sigma=ONE):
    g, o = fn(N, x, sigma)
    return g + o


def optimum(fn, N):
    h = Dec("1e-30")

    def deriv(x):
        return (total(fn, N, x + h) - total(fn, N, x - h)) / (2 * h)

    lo, hi = Dec("0.05"), Dec("40")
    assert deriv(lo) < 0 < deriv(hi)
    for _ in range(140):  # 40·2^-140 ≈ 3e-41
        mid = (lo + hi) / 2
        if deriv(mid) < 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def s(x):
    return format(+x, ".30e")


def main():
    out = {"digits": 80, "optimalXMax": {}, "optimalXMaxMidtread": {}, "optimalSqnrDb": {}, "distortion": []}
    for r in range(1, 17):
        N = 2 ** r
        x = optimum(midrise, N)
        out["optimalXMax"][str(r)] = s(x)
        D = total(midrise, N, x)
        out["optimalSqnrDb"][str(r)] = s(Dec(10) * (ONE / D).log10())
        if r >= 2:
            out["optimalXMaxMidtread"][str(r)] = s(optimum(midtread, N - 1))
    cases = []
    for r in (1, 2, 3, 4, 8, 12, 16):
        for sigma in ("1", "0.001", "0.1", "3.16227766016837933", "10", "100"):
            for xmax in ("0.5", "2.175", "7.9", "14.3"):
                cases.append(("midrise", 2 ** r, xmax, sigma))
    for r in (2, 3, 8, 16):
        for sigma in ("1", "0.01", "10"):
            for xmax in ("1.5", "7.9", "14.3"):
                cases.append(("midtread", 2 ** r - 1, xmax, sigma))
    for kind, N, xmax, sigma in cases:
        fn = midrise if kind == "midrise" else midtread
        g, o = fn(N, Dec(xmax), Dec(sigma))
        out["distortion"].append({"kind": kind, "levels": N, "xMax": float(xmax), "sigma": float(Dec(sigma)),
                                  "granular": s(g), "overload": s(o)})
    path = os.path.join(os.path.dirname(__file__), "..", "src", "fixtures", "reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
