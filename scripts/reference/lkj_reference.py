"""Reference numbers for test/inference/lkj.test.ts and test/inference/matrix-types.test.ts (scipy 1.17).

    python3 scripts/reference/lkj_reference.py

1. K = 2: the density of r when (r + 1)/2 ~ Beta(eta, eta).
2. K = 3, 4: the LKJ log normaliser by direct quadrature over each row of the Cholesky factor.
3. The posterior of eta given one observed 3x3 correlation matrix, by quadrature over eta.
"""
import numpy as np
from scipy import stats, integrate
# K = 2: r = Omega[0,1] = L[1,0]; (r+1)/2 ~ Beta(eta, eta); density of r = beta.pdf((r+1)/2)/2
for eta in [0.5, 1, 2, 5]:
    print(eta, [float(stats.beta.logpdf((r + 1) / 2, eta, eta) - np.log(2)) for r in [-0.7, 0.0, 0.3, 0.9]])
# K = 3, 4: log normaliser by direct quadrature over each row's free entries (unit ball), of
# prod_i L_ii^(K - i - 1 + 2 eta - 2) (0-based i), L_ii = sqrt(1 - |x|^2)
def row_integral(dim, p):
    f = lambda *x: max(0.0, 1 - sum(v * v for v in x)) ** (p / 2)
    if dim == 1:
        return integrate.quad(lambda x: f(x), -1, 1, epsabs=1e-13, epsrel=1e-12)[0]
    if dim == 2:
        return integrate.dblquad(lambda b, a: f(a, b), -1, 1, lambda a: -np.sqrt(1 - a * a), lambda a: np.sqrt(1 - a * a), epsabs=1e-12, epsrel=1e-11)[0]
    if dim == 3:
        return integrate.tplquad(lambda c, b, a: f(a, b, c), -1, 1, lambda a: -np.sqrt(1 - a * a), lambda a: np.sqrt(1 - a * a),
                                 lambda a, b: -np.sqrt(max(0, 1 - a * a - b * b)), lambda a, b: np.sqrt(max(0, 1 - a * a - b * b)), epsabs=1e-10, epsrel=1e-9)[0]
for K in [3, 4]:
    for eta in [0.8, 2.0]:
        logz = sum(np.log(row_integral(i, K - i - 1 + 2 * eta - 2)) for i in range(1, K))
        print('K', K, 'eta', eta, 'log normaliser', -logz)

def logC3(eta):
    # rows of the Cholesky factor: row 1 in (-1, 1) with exponent 2eta - 1, row 2 in the unit disk with 2eta - 2
    r1 = integrate.quad(lambda x: (1 - x * x) ** ((2 * eta - 1) / 2), -1, 1)[0]
    r2 = 2 * np.pi * integrate.quad(lambda r: r * (1 - r * r) ** ((2 * eta - 2) / 2), 0, 1)[0]
    return -np.log(r1) - np.log(r2)
for R in ([[1, 0.02, -0.01], [0.02, 1, 0.03], [-0.01, 0.03, 1]], [[1, 0.8, 0.6], [0.8, 1, 0.7], [0.6, 0.7, 1]]):
    ld = np.log(np.linalg.det(np.array(R)))
    etas = np.linspace(1e-3, 40, 8001)
    lp = np.array([stats.gamma.logpdf(e, 2, scale=2) + (e - 1) * ld + logC3(e) for e in etas])
    w = np.exp(lp - lp.max()); w /= np.trapezoid(w, etas)
    m = np.trapezoid(w * etas, etas); sd = np.sqrt(np.trapezoid(w * (etas - m) ** 2, etas))
    print(ld, m, sd)
