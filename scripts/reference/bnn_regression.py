# Data for models/bnn_regression.tilde: y = sin(2x) + noise (sd 0.1) on two clusters of inputs,
# x in [-1, -0.3] and [0.4, 1], leaving a gap where a Bayesian network's predictive spread should
# grow; G grid points span [-1.2, 1.2] for the fitted curve. Seeded: the same file every run.
#   python3 scripts/reference/bnn_regression.py > models/bnn_regression.json
import json

import numpy as np

rng = np.random.default_rng(20261205)
N = 40
x = np.concatenate([rng.uniform(-1.0, -0.3, N // 2), rng.uniform(0.4, 1.0, N // 2)])
y = np.sin(2 * x) + rng.normal(0, 0.1, N)
grid = np.linspace(-1.2, 1.2, 25)
print(json.dumps({
    "N": N,
    "H": 10,
    "G": len(grid),
    "x": [[round(float(v), 6)] for v in x],
    "y": [round(float(v), 6) for v in y],
    "xg": [[round(float(v), 6)] for v in grid],
}))
