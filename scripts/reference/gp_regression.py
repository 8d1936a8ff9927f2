"""Data and reference posterior for models/gp_regression.tilde, independently of tilde.

Simulates N = 30 points of a 1-D Gaussian process (seeded), writes models/gp_regression.json,
then integrates the posterior of (rho, alpha, sigma) numerically: the GP is marginalised in
closed form (y ~ MultiNormal(0, K + sigma^2 I)), and the three hyperparameters are integrated
on a tensor grid in log space (density times the Jacobian rho*alpha*sigma), first coarsely to
find the region holding the mass, then finely over it. Writes the posterior mean and sd of each
to test/reference/own/gp_regression.json.

Run from the repository root:  python3 scripts/reference/gp_regression.py
"""
import json
import sys

import numpy as np
from scipy import stats

N = 30
TRUE = {"rho": 1.5, "alpha": 1.0, "sigma": 0.3}
SEED = 20261205


def simulate():
    rng = np.random.default_rng(SEED)
    x = np.sort(rng.uniform(0.0, 10.0, N))
    k = TRUE["alpha"] ** 2 * np.exp(-((x[:, None] - x[None, :]) ** 2) / (2 * TRUE["rho"] ** 2))
    f = np.linalg.cholesky(k + 1e-9 * np.eye(N)) @ rng.standard_normal(N)
    y = f + TRUE["sigma"] * rng.standard_normal(N)
    return np.round(x, 4), np.round(y, 4), f


def log_density(x, y, lr, la, ls):
    """log p(y | rho, alpha, sigma) + log prior + log Jacobian, at arrays of log rho, log alpha, log sigma."""
    rho, alpha, sigma = np.exp(lr), np.exp(la), np.exp(ls)
    d2 = (x[:, None] - x[None, :]) ** 2
    cov = alpha[:, None, None] ** 2 * np.exp(-d2[None] / (2 * rho[:, None, None] ** 2))
    cov = cov + (sigma**2)[:, None, None] * np.eye(len(x))[None]
    chol = np.linalg.cholesky(cov)
    z = np.linalg.solve(chol, np.broadcast_to(y, (len(rho), len(y)))[..., None])[..., 0]
    loglik = -0.5 * np.sum(z**2, -1) - np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), -1) - 0.5 * len(y) * np.log(2 * np.pi)
    logprior = (
        stats.invgamma.logpdf(rho, a=5, scale=5)
        + stats.halfnorm.logpdf(alpha, scale=2)
        + stats.halfnorm.logpdf(sigma, scale=1)
    )
    return loglik + logprior + lr + la + ls


def grid(x, y, bounds, n):
    axes = [np.linspace(lo, hi, n) for lo, hi in bounds]
    g = np.meshgrid(*axes, indexing="ij")
    flat = [a.ravel() for a in g]
    out = np.empty(flat[0].size)
    step = 20000
    for s in range(0, out.size, step):
        out[s : s + step] = log_density(x, y, *(a[s : s + step] for a in flat))
    return axes, flat, out


def main():
    x, y, _ = simulate()
    with open("models/gp_regression.json", "w") as fh:
        json.dump({"N": N, "x": x.tolist(), "y": y.tolist()}, fh)
        fh.write("\n")
    # Coarse pass over a wide box; keep where the log density is within 25 of its maximum.
    wide = [(np.log(0.05), np.log(20.0)), (np.log(0.05), np.log(10.0)), (np.log(0.02), np.log(3.0))]
    axes, flat, lp = grid(x, y, wide, 45)
    keep = lp > lp.max() - 25
    box = []
    for a, ax in zip(flat, axes):
        h = ax[1] - ax[0]
        box.append((a[keep].min() - 2 * h, a[keep].max() + 2 * h))
    n = 90
    axes, flat, lp = grid(x, y, box, n)
    w = np.exp(lp - lp.max())
    w /= w.sum()
    # The box must hold the mass: the density at its faces is negligible.
    cube = w.reshape(n, n, n)
    edge = max(cube[0].max(), cube[-1].max(), cube[:, 0].max(), cube[:, -1].max(), cube[:, :, 0].max(), cube[:, :, -1].max())
    assert edge < 1e-8 * cube.max(), edge
    result = {}
    for name, a in zip(["rho", "alpha", "sigma"], flat):
        v = np.exp(a)
        mean = float(np.sum(w * v))
        sd = float(np.sqrt(np.sum(w * (v - mean) ** 2)))
        result[name] = {"mean": mean, "sd": sd}
    # Halving the grid (every other point) moves the moments by the quadrature error.
    half = {}
    axes2, flat2, lp2 = grid(x, y, box, n // 2)
    w2 = np.exp(lp2 - lp2.max())
    w2 /= w2.sum()
    for name, a in zip(["rho", "alpha", "sigma"], flat2):
        half[name] = float(np.sum(w2 * np.exp(a)))
    out = {
        "command": "python3 scripts/reference/gp_regression.py",
        "method": "tensor-grid quadrature in (log rho, log alpha, log sigma), %d^3 points over %s; GP marginalised exactly" % (n, [[round(float(lo), 3), round(float(hi), 3)] for lo, hi in box]),
        "data": "models/gp_regression.json (N = %d, seed %d, simulated with rho %.1f, alpha %.1f, sigma %.1f)" % (N, SEED, TRUE["rho"], TRUE["alpha"], TRUE["sigma"]),
        "parameters": result,
        "quadrature_check": {k: {"mean_half_grid": half[k], "diff_in_sd": abs(half[k] - result[k]["mean"]) / result[k]["sd"]} for k in half},
    }
    with open("test/reference/own/gp_regression.json", "w") as fh:
        json.dump(out, fh, indent=2)
        fh.write("\n")
    json.dump(out, sys.stdout, indent=2)


if __name__ == "__main__":
    main()
