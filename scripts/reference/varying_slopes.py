"""Data and reference posterior for models/varying_slopes.tilde, independent of tilde.

    python3 scripts/reference/varying_slopes.py            # writes models/varying_slopes.json
                                                         # and test/reference/own/varying_slopes.json

1. Simulates a sleepstudy-style data set (seeded): J groups, N observations, y = a_g + b_g x + noise,
   where (a_j, b_j) ~ MultiNormal(mu, diag(tau) Omega diag(tau)).
2. Samples the model's posterior with a random-walk Metropolis sampler written here (numpy only), on
   the same unconstrained coordinates tilde's automatic guide uses: mu, log tau, atanh of the one
   canonical partial correlation of L (K = 2), z, log sigma, with their log-Jacobians.
   Many chains run side by side; the proposal covariance is adapted during warm-up and then frozen,
   so the kept draws come from a fixed Markov kernel.
3. Prints split R-hat and bulk ESS for every reported quantity and stores mean, sd and MCSE.

Model (as in the .tilde file):
    mu ~ Normal(0, 5) (2);  tau ~ HalfNormal(2) (2);  L ~ LKJCorrCholesky(2) (2 x 2)
    z[j, :] ~ Normal(0, 1);  beta = mu + (z @ L^T) * tau;  sigma ~ HalfNormal(2)
    y[n] ~ Normal(beta[g[n], 0] + beta[g[n], 1] * x[n], sigma)
"""
import json
import os
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
J, N, ETA = 8, 160, 2.0


def simulate(seed=20261205):
    rng = np.random.default_rng(seed)
    mu, tau, rho, sigma = np.array([1.0, 0.5]), np.array([0.8, 0.4]), 0.5, 0.6
    omega = np.array([[1.0, rho], [rho, 1.0]])
    cov = np.diag(tau) @ omega @ np.diag(tau)
    beta = rng.multivariate_normal(mu, cov, size=J)
    g = np.repeat(np.arange(J), N // J)
    x = np.tile((np.arange(N // J) % 10 - 4.5) / 3.0, 1)
    x = np.resize(x, N)
    y = beta[g, 0] + beta[g, 1] * x + sigma * rng.standard_normal(N)
    return {'N': N, 'J': J, 'g': g.tolist(), 'x': np.round(x, 6).tolist(), 'y': np.round(y, 6).tolist()}


def log_posterior(theta, g, x, y):
    """theta: [C, D] unconstrained rows -> log density [C] (model + log-Jacobian)."""
    mu = theta[:, 0:2]
    ltau = theta[:, 2:4]
    yl = theta[:, 4]
    z = theta[:, 5:5 + 2 * J].reshape(-1, J, 2)
    lsig = theta[:, 5 + 2 * J]
    tau, sigma = np.exp(ltau), np.exp(lsig)
    r = np.tanh(yl)
    # log(1 - tanh^2) computed stably
    log1mr2 = 2.0 * (np.log(2.0) - np.abs(yl) - np.log1p(np.exp(-2.0 * np.abs(yl))))
    l11 = np.exp(0.5 * log1mr2)
    lp = -0.5 * np.sum((mu / 5.0) ** 2, axis=1)
    lp += -0.5 * np.sum((tau / 2.0) ** 2, axis=1) + np.sum(ltau, axis=1)  # HalfNormal(2) + Jacobian
    lp += -0.5 * (sigma / 2.0) ** 2 + lsig
    # LKJCorrCholesky(eta), K = 2: (K - k + 2 eta - 2) log L_kk for k = 2 (1-based) ...
    lp += (2 - 2 + 2 * ETA - 2) * 0.5 * log1mr2
    # ... plus the Jacobian of y -> r = tanh(y) (the stick-breaking factor is 1 for K = 2).
    lp += log1mr2
    lp += -0.5 * np.sum(z ** 2, axis=(1, 2))
    # beta_j = mu + tau * (L z_j), L = [[1, 0], [r, l11]]
    b0 = mu[:, None, 0] + tau[:, None, 0] * z[:, :, 0]
    b1 = mu[:, None, 1] + tau[:, None, 1] * (r[:, None] * z[:, :, 0] + l11[:, None] * z[:, :, 1])
    m = b0[:, g] + b1[:, g] * x[None, :]
    lp += -0.5 * np.sum((y[None, :] - m) ** 2, axis=1) / sigma ** 2 - len(y) * lsig
    return lp


def reported(theta):
    """Constrained quantities per draw: name -> array."""
    return {
        'mu[0]': theta[..., 0], 'mu[1]': theta[..., 1],
        'tau[0]': np.exp(theta[..., 2]), 'tau[1]': np.exp(theta[..., 3]),
        'sigma': np.exp(theta[..., 5 + 2 * J]),
        'Omega[0, 1]': np.tanh(theta[..., 4]),
    }


def split_rhat(draws):
    """draws: [chains, n]. Split R-hat (Gelman et al. BDA3, 11.4)."""
    c, n = draws.shape
    h = n // 2
    s = np.concatenate([draws[:, :h], draws[:, h:2 * h]], axis=0)
    m = s.shape[1]
    w = np.mean(np.var(s, axis=1, ddof=1))
    b = m * np.var(np.mean(s, axis=1), ddof=1)
    var = (m - 1) / m * w + b / m
    return float(np.sqrt(var / w))


def ess(draws):
    """Multi-chain ESS with Geyer's initial monotone sequence (BDA3 11.5, as in Stan)."""
    c, n = draws.shape
    x = draws - draws.mean(axis=1, keepdims=True)
    f = np.fft.rfft(x, n=2 * n, axis=1)
    acov = np.fft.irfft(f * np.conj(f), axis=1)[:, :n] / n
    chain_var = acov[:, 0] * n / (n - 1)
    w = chain_var.mean()
    b_over_n = np.var(draws.mean(axis=1), ddof=1)
    var_plus = (n - 1) / n * w + b_over_n
    rho = 1.0 - (w - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    pairs = []
    t = 0
    while t + 1 < n:
        p = rho[t] + rho[t + 1]
        if p < 0:
            break
        pairs.append(p)
        t += 2
    pairs = np.minimum.accumulate(np.array(pairs))
    tau = -1.0 + 2.0 * np.sum(pairs)
    return float(c * n / tau)


def sample(data, chains=64, warmup=20000, keep=200000, thin=20, seed=7):
    rng = np.random.default_rng(seed)
    g, x, y = np.array(data['g']), np.array(data['x']), np.array(data['y'])
    D = 6 + 2 * J
    theta = rng.uniform(-1, 1, size=(chains, D))
    lp = log_posterior(theta, g, x, y)
    cov = np.eye(D) * 0.01
    scale = 2.38 ** 2 / D
    hist = []
    accepted = 0
    for it in range(warmup + keep):
        chol = np.linalg.cholesky(cov * scale + 1e-10 * np.eye(D))
        prop = theta + rng.standard_normal((chains, D)) @ chol.T
        lp_prop = log_posterior(prop, g, x, y)
        acc = np.log(rng.uniform(size=chains)) < lp_prop - lp
        theta = np.where(acc[:, None], prop, theta)
        lp = np.where(acc, lp_prop, lp)
        if it < warmup:
            hist.append(theta.copy())
            # Re-estimate the proposal from the second half of the warm-up so far, and tune its scale.
            if it >= 500 and it % 250 == 0:
                h = np.concatenate(hist[len(hist) // 2:], axis=0)
                cov = np.cov(h, rowvar=False)
            rate = acc.mean()
            scale *= np.exp(0.01 * (rate - 0.234)) if it > 200 else 1.0
        else:
            accepted += acc.sum()
            if (it - warmup) % thin == 0:
                yield_ = theta.copy()
                hist.append(yield_)
    kept = np.stack(hist[warmup:], axis=1)  # [chains, n, D]
    return kept, accepted / (chains * keep), scale


def main():
    data = simulate()
    with open(os.path.join(ROOT, 'models', 'varying_slopes.json'), 'w') as f:
        json.dump(data, f)
    kept, rate, scale = sample(data)
    print(f'acceptance {rate:.3f}, proposal scale {scale:.4f}, draws {kept.shape[0]} chains x {kept.shape[1]}')
    out = {}
    ok = True
    for name, v in reported(kept).items():
        r, e = split_rhat(v), ess(v)
        mean, sd = float(v.mean()), float(v.std(ddof=1))
        out[name] = {'mean': round(mean, 5), 'sd': round(sd, 5), 'mcse': round(sd / np.sqrt(e), 5), 'rhat': round(r, 4), 'ess': round(e)}
        ok = ok and r < 1.01 and e > 1000
        print(f'{name:12s} mean {mean:8.4f}  sd {sd:7.4f}  mcse {sd / np.sqrt(e):.5f}  split-Rhat {r:.4f}  ESS {e:8.0f}')
    if not ok:
        print('NOT CONVERGED: some R-hat >= 1.01 or ESS <= 1000', file=sys.stderr)
        sys.exit(1)
    ref = {
        'command': 'python3 scripts/reference/varying_slopes.py',
        'method': 'random-walk Metropolis in numpy (64 chains, covariance adapted in warm-up then frozen), unconstrained coordinates with the same Jacobians',
        'draws': int(kept.shape[0] * kept.shape[1]),
        'posterior': out,
    }
    with open(os.path.join(ROOT, 'test', 'reference', 'own', 'varying_slopes.json'), 'w') as f:
        json.dump(ref, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
