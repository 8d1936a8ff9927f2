#!/usr/bin/env python3
"""Data and an independent reference posterior for models/ordinal_regression.tilde.

    python3 scripts/reference/ordinal_regression.py simulate    # writes models/ordinal_regression.json
    python3 scripts/reference/ordinal_regression.py reference   # writes test/reference/own/ordinal_regression.json

The model (0-based categories y in {0, ..., K-1}):
    beta[d] ~ Normal(0, 2)                 d = 0, 1
    c ~ Normal(0, 5) on ordered[K-1]       (the prior density on the ordered region, unnormalised)
    y[n] ~ OrderedLogistic(X[n] @ beta, c)

The reference is a random-walk Metropolis run in the unconstrained coordinates of tilde's
ordered bijector (c0 = u0, c_k = c_{k-1} + exp(u_k), log-Jacobian sum u_1..), with the
proposal covariance 2.38^2/d times the inverse Hessian at the mode; 4 chains from
over-dispersed starts, each 120,000 iterations after 20,000 of burn-in. It reports the
split R-hat and the bulk effective sample size per parameter (both must pass: R-hat < 1.01,
ESS > 4,000) and the Monte Carlo standard error of each mean. numpy and scipy only; the
reference is a test fixture, never a runtime dependency.
"""
import json
import os
import sys

import numpy as np
from scipy import optimize, special

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
DATA = os.path.join(ROOT, 'models', 'ordinal_regression.json')
OUT = os.path.join(ROOT, 'test', 'reference', 'own', 'ordinal_regression.json')

N, D, K = 150, 2, 4
TRUE_BETA = [1.2, -0.7]
TRUE_CUTPOINTS = [-1.5, 0.2, 1.6]


def simulate():
    rng = np.random.default_rng(20261205)
    X = np.round(rng.normal(size=(N, D)), 3)
    eta = X @ np.array(TRUE_BETA)
    # y = number of cutpoints below eta + logistic noise: P(y > k) = sigmoid(eta - c_k).
    latent = eta + rng.logistic(size=N)
    y = (latent[:, None] > np.array(TRUE_CUTPOINTS)[None, :]).sum(axis=1)
    # C = K - 1 cutpoints: the model's dimensions are names or literals, not K - 1.
    with open(DATA, 'w') as f:
        f.write('{\n  "N": %d,\n  "D": %d,\n  "C": %d,\n  "X": [\n' % (N, D, K - 1))
        f.write(',\n'.join('    [%s]' % ','.join(repr(float(v)) for v in row) for row in X))
        f.write('\n  ],\n  "y": [%s]\n}\n' % ','.join(str(int(v)) for v in y))
    print('wrote', DATA, 'category counts', np.bincount(y, minlength=K).tolist())


def log_probs(eta, c):
    """log P(y = k) for k = 0..K-1, rows of eta against cutpoints c, by differences of CDFs in logs."""
    # log(F(a) - F(b)) with F = sigmoid, a = eta - c_{k-1}, b = eta - c_k (ends at +-inf).
    a = np.concatenate([np.full((eta.size, 1), np.inf), eta[:, None] - c[None, :]], axis=1)
    b = np.concatenate([eta[:, None] - c[None, :], np.full((eta.size, 1), -np.inf)], axis=1)
    # sigmoid(a) - sigmoid(b) = sigmoid(a) sigmoid(-b) (1 - exp(b - a))
    with np.errstate(over='ignore', invalid='ignore'):
        gap = np.where(np.isinf(a) | np.isinf(b), 0.0, np.log(-np.expm1(b - a)))
    return special.log_expit(a) + special.log_expit(-b) + gap


def load():
    with open(DATA) as f:
        d = json.load(f)
    return np.array(d['X'], float), np.array(d['y'], int)


def make_target(X, y):
    def to_c(u):
        return np.cumsum(np.concatenate([u[:1], np.exp(u[1:])]))

    def log_post(theta):
        beta, u = theta[:D], theta[D:]
        c = to_c(u)
        lp = -0.5 * np.sum((beta / 2) ** 2) - 0.5 * np.sum((c / 5) ** 2) + np.sum(u[1:])
        return lp + np.sum(log_probs(X @ beta, c)[np.arange(y.size), y])

    return log_post, to_c


def split_rhat_ess(chains):
    """Split R-hat and a bulk ESS (Geyer's initial positive sequence on the pooled split chains)."""
    m, n = chains.shape
    half = n // 2
    s = np.concatenate([chains[:, :half], chains[:, half:2 * half]])
    M, L = s.shape
    means = s.mean(axis=1)
    W = s.var(axis=1, ddof=1).mean()
    B = L * means.var(ddof=1)
    var = (L - 1) / L * W + B / L
    rhat = np.sqrt(var / W)
    centred = s - means[:, None]
    f = np.fft.rfft(centred, n=2 * L, axis=1)
    acov = np.fft.irfft(f * np.conj(f), axis=1)[:, :L] / L
    rho = 1 - (W - acov.mean(axis=0)) / var
    tau = -1.0
    for t in range(0, L - 1, 2):
        pair = rho[t] + rho[t + 1]
        if pair < 0:
            break
        tau += 2 * pair
    return float(rhat), float(M * L / tau)


def reference():
    X, y = load()
    log_post, to_c = make_target(X, y)
    dim = D + K - 1
    start = np.concatenate([np.zeros(D), [-1.0], np.zeros(K - 2)])
    opt = optimize.minimize(lambda t: -log_post(t), start, method='BFGS', options={'gtol': 1e-8})
    mode = opt.x
    # The stable log-probabilities agree with the naive difference of CDFs at the mode, where
    # no category is in a far tail (an independent check of the identity used).
    beta_m, c_m = mode[:D], to_c(mode[D:])
    cdf = np.concatenate([np.ones((N, 1)), special.expit(X @ beta_m[:, None] - c_m[None, :]), np.zeros((N, 1))], axis=1)
    assert np.allclose(log_probs(X @ beta_m, c_m), np.log(cdf[:, :-1] - cdf[:, 1:]), rtol=1e-10, atol=1e-12)
    # Inverse Hessian at the mode by central differences.
    h = 1e-4
    H = np.zeros((dim, dim))
    for i in range(dim):
        for j in range(dim):
            ei, ej = np.eye(dim)[i] * h, np.eye(dim)[j] * h
            H[i, j] = -(log_post(mode + ei + ej) - log_post(mode + ei - ej) - log_post(mode - ei + ej) + log_post(mode - ei - ej)) / (4 * h * h)
    cov = np.linalg.inv(H)
    chol = np.linalg.cholesky(cov * 2.38 ** 2 / dim)
    rng = np.random.default_rng(7)
    chains, burn, keep = 4, 20_000, 120_000
    draws = np.zeros((chains, keep, D + K - 1))
    accepted = 0
    for ch in range(chains):
        theta = mode + 2 * np.linalg.cholesky(cov) @ rng.normal(size=dim)
        lp = log_post(theta)
        for it in range(burn + keep):
            prop = theta + chol @ rng.normal(size=dim)
            lq = log_post(prop)
            if np.log(rng.uniform()) < lq - lp:
                theta, lp = prop, lq
                accepted += it >= burn
            if it >= burn:
                draws[ch, it - burn] = np.concatenate([theta[:D], to_c(theta[D:])])
    names = [f'beta[{d}]' for d in range(D)] + [f'c[{k}]' for k in range(K - 1)]
    params = {}
    for j, name in enumerate(names):
        rhat, ess = split_rhat_ess(draws[:, :, j])
        flat = draws[:, :, j].ravel()
        sd = float(flat.std(ddof=1))
        params[name] = {'mean': float(flat.mean()), 'sd': sd, 'mcse': sd / np.sqrt(ess), 'rhat': rhat, 'ess': ess}
        assert rhat < 1.01 and ess > 4000, (name, rhat, ess)
    out = {
        'model': 'models/ordinal_regression.tilde',
        'data': 'models/ordinal_regression.json',
        'command': 'python3 scripts/reference/ordinal_regression.py reference',
        'method': f'random-walk Metropolis in the ordered bijector\'s coordinates, {chains} chains x {keep} kept after {burn} burn-in, '
                  'proposal 2.38^2/d x inverse Hessian at the mode; split R-hat and bulk ESS per parameter',
        'acceptance': accepted / (chains * keep),
        'parameters': params,
    }
    with open(OUT, 'w') as f:
        json.dump(out, f, indent=2)
        f.write('\n')
    print(json.dumps(out, indent=2))


if __name__ == '__main__':
    {'simulate': simulate, 'reference': reference}[sys.argv[1]]()
