"""Data for models/gp_poisson.tilde: counts whose log rate is a draw of a 1-D Gaussian process.

Simulates N = 25 points (seeded): f ~ GP(0, k) with k the squared-exponential kernel (rho 2,
alpha 1), log rate = 1 + f, y ~ Poisson(rate). Writes models/gp_poisson.json (N, x, y) and
the simulating rate to test/reference/own/gp_poisson_truth.json, which the test compares the
posterior with.

Run from the repository root:  python3 scripts/reference/gp_poisson.py
"""
import json

import numpy as np

N = 25
SEED = 20261206
RHO, ALPHA, MU = 2.0, 1.0, 1.0


def main():
    rng = np.random.default_rng(SEED)
    x = np.round(np.linspace(0.0, 10.0, N), 4)
    k = ALPHA**2 * np.exp(-((x[:, None] - x[None, :]) ** 2) / (2 * RHO**2))
    f = np.linalg.cholesky(k + 1e-9 * np.eye(N)) @ rng.standard_normal(N)
    rate = np.exp(MU + f)
    y = rng.poisson(rate)
    with open("models/gp_poisson.json", "w") as fh:
        json.dump({"N": N, "x": x.tolist(), "y": y.tolist()}, fh)
        fh.write("\n")
    truth = {
        "command": "python3 scripts/reference/gp_poisson.py",
        "simulated_with": {"rho": RHO, "alpha": ALPHA, "mu": MU, "seed": SEED},
        "rate": rate.round(6).tolist(),
    }
    with open("test/reference/own/gp_poisson_truth.json", "w") as fh:
        json.dump(truth, fh, indent=2)
        fh.write("\n")
    print(json.dumps({"y": y.tolist(), "rate": rate.round(2).tolist()}))


if __name__ == "__main__":
    main()
