"""Simulated data for models/truncated_regression.tilde: a linear regression whose outcomes
are only recorded inside [lo, hi] (a truncated sample: values outside never enter the data).

    python3 scripts/reference/truncated_regression_data.py > models/truncated_regression.json

True values: alpha = 1.0, beta = 1.5, sigma = 1.0; x uniform on (-2, 2); lo = 0, hi = 5.
Each kept point is drawn by rejection: (x, y) pairs are drawn until y falls in [lo, hi].
"""
import json

import numpy as np

ALPHA, BETA, SIGMA = 1.0, 1.5, 1.0
LO, HI = 0.0, 5.0
N = 150


def main() -> None:
    rng = np.random.default_rng(20261205)
    xs, ys = [], []
    while len(ys) < N:
        x = rng.uniform(-2.0, 2.0)
        y = ALPHA + BETA * x + SIGMA * rng.standard_normal()
        if LO <= y <= HI:
            xs.append(round(float(x), 4))
            ys.append(round(float(y), 4))
    print(json.dumps({"N": N, "lo": LO, "hi": HI, "x": xs, "y": ys}))


if __name__ == "__main__":
    main()
