"""Reference posterior of models/truncated_regression.tilde, computed independently of tilde by
quadrature on a grid (midpoint rule) over (alpha, beta, sigma):

    python3 scripts/reference/truncated_regression_posterior.py > test/reference/own/truncated_regression.json

Model (the same as the .tilde file):
    alpha ~ Normal(0, 5), beta ~ Normal(0, 5), sigma ~ HalfNormal(2)
    y[i] ~ Normal(alpha + beta x[i], sigma) truncated to [lo, hi]
    log p(y[i] | ...) = log N(y[i]; m, sigma) - log(Phi((hi - m)/sigma) - Phi((lo - m)/sigma))

The grid covers +-9 posterior sds around the mode-centred box found by a coarse first pass, and
the result is computed at two resolutions (60^3 and 120^3): the reported numbers are the fine grid's, and the
difference to the coarse grid (the quadrature error's order) is recorded next to them.
"""
import json
import sys

import numpy as np
from scipy import special, stats

DATA = "models/truncated_regression.json"


def log_post(a, b, s, x, y, lo, hi):
    """Unnormalised log posterior on a grid: a, b, s broadcast to a common shape."""
    a = a[..., None]
    b = b[..., None]
    s = s[..., None]
    m = a + b * x
    ll = stats.norm.logpdf(y, m, s)
    # log(Phi(u) - Phi(l)): from the lower tail when Phi(l) < 1/2, else from the upper tail
    # (1 - Phi(l)) - (1 - Phi(u)), each with log_ndtr and a log1m_exp of the ratio.
    u = (hi - m) / s
    l = (lo - m) / s
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = special.log_ndtr(u) + np.log(-np.expm1(special.log_ndtr(l) - special.log_ndtr(u)))
        upper = special.log_ndtr(-l) + np.log(-np.expm1(special.log_ndtr(-u) - special.log_ndtr(-l)))
    lmass = np.where(l < 0, lower, upper)
    lp = (ll - lmass).sum(-1)
    lp = np.where(np.isfinite(lp), lp, -np.inf)
    lp += stats.norm.logpdf(a[..., 0], 0, 5) + stats.norm.logpdf(b[..., 0], 0, 5) + stats.halfnorm.logpdf(s[..., 0], scale=2)
    return lp


def moments(box, n, x, y, lo, hi):
    axes = [lo_ + (np.arange(n) + 0.5) * (hi_ - lo_) / n for lo_, hi_ in box]
    A, B = np.meshgrid(axes[0], axes[1], indexing="ij")
    lps = np.empty((n, n, n))
    for k, s in enumerate(axes[2]):
        lps[:, :, k] = log_post(A, B, np.full_like(A, s), x, y, lo, hi)
    w = np.exp(lps - lps.max())
    w /= w.sum()
    out = {}
    for name, ax, dim in (("alpha", axes[0], (1, 2)), ("beta", axes[1], (0, 2)), ("sigma", axes[2], (0, 1))):
        marg = w.sum(axis=dim)
        mean = float((marg * ax).sum())
        sd = float(np.sqrt((marg * (ax - mean) ** 2).sum()))
        out[name] = {"mean": mean, "sd": sd}
    return out


def main() -> None:
    d = json.load(open(DATA))
    x = np.array(d["x"])
    y = np.array(d["y"])
    lo, hi = d["lo"], d["hi"]
    # First pass on a wide box, then a box of +-9 sds around the first pass's means.
    first = moments([(-5, 5), (-5, 5), (0.05, 6)], 40, x, y, lo, hi)
    box = [(first[p]["mean"] - 9 * first[p]["sd"], first[p]["mean"] + 9 * first[p]["sd"]) for p in ("alpha", "beta", "sigma")]
    box[2] = (max(box[2][0], 1e-3), box[2][1])
    coarse = moments(box, 60, x, y, lo, hi)
    fine = moments(box, 120, x, y, lo, hi)
    result = {
        "model": "models/truncated_regression.tilde",
        "data": DATA,
        "command": "python3 scripts/reference/truncated_regression_posterior.py > test/reference/own/truncated_regression.json",
        "method": "midpoint-rule quadrature on a 120^3 grid over (alpha, beta, sigma), +-9 sd box",
        "parameters": fine,
        "quadrature_change_60_to_120": {p: abs(fine[p]["mean"] - coarse[p]["mean"]) for p in fine},
    }
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
