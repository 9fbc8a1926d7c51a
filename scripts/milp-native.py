#!/usr/bin/python3
"""The feasibility MILP of `npm run bench:verify`, solved by native HiGHS through scipy.optimize.milp.

Same formulation as milpText in bench/verify.ts (the WebAssembly baseline): find x in [-1, 1]^n,
s in {0, 1}^m with sum(s) <= n - 1 and w_i.x <= -delta + (|w_i|_1 + delta) s_i, zero objective.
Feasible => not injective; infeasible => injective (exact for rows in general position).

Needs scipy >= 1.9 (Debian: `apt-get install python3-scipy`, then /usr/bin/python3). Protocol: one
JSON request per line on stdin, {"W": [[...], ...], "timeLimit": seconds, "delta": 1e-6, "id": any};
one JSON answer per line on stdout, {"injective": true | false | null, "status": "...", "ms": solve
time, "x": [...] | null, "delta": the delta used, "id": the request's}. "ms" covers building the model and the solve, not
Python's start or the JSON. HiGHS's own messages go to stderr. When this scipy does not pass
mip_feasibility_tolerance on to HiGHS (tested once on TOLERANCE_PROBE), delta is raised to
SAFE_DELTA * max_i |w_i|_1 and the answer's "delta" says so: with delta = 1e-6 and HiGHS's default
integrality tolerance the MILP "finds" spurious points. `--version` prints {"scipy": "...",
"toleranceHonored": true | false} and exits.

    echo '{"W": [[1, 0], [1, 1], [1, -1]], "timeLimit": 10}' | /usr/bin/python3 scripts/milp-native.py
"""
import json
import os
import sys
import time
import warnings

import numpy as np
import scipy
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array, hstack, vstack


# An injective 20x4 layer (a Gaussian one of bench/verify.ts, rounded): with delta = 1e-6 its MILP is
# infeasible, but HiGHS with the default integrality tolerance 1e-6 accepts s_i of about 1e-6 as 0,
# so that M_i s_i cancels delta and a spurious point is "found". Used to test whether this scipy
# passes mip_feasibility_tolerance to HiGHS (scipy 1.10 with HiGHS 1.2 ignores it; 1.17 passes it).
TOLERANCE_PROBE = [
    [0.442, -0.546, -0.532, -1.362],
    [1.645, 1.109, 0.462, -0.718],
    [0.189, -0.124, 0.918, 1.396],
    [-0.68, -0.335, -0.93, 0.944],
    [0.2, -0.361, -0.353, -1.035],
    [1.042, 1.079, -0.064, -0.199],
    [-0.716, 0.209, 2.222, -1.144],
    [-0.685, -0.426, 0.746, 2.162],
    [-1.053, 0.64, -0.175, -0.988],
    [-1.883, -0.723, -0.291, -1.767],
    [0.169, 0.31, 0.599, 1.665],
    [-0.553, 0.747, -1.697, 0.429],
    [0.416, 1.663, -1.494, 0.877],
    [0.8, -0.125, -1.712, 0.211],
    [0.536, -0.77, -1.071, 0.016],
    [1.125, -0.36, -1.304, 0.728],
    [0.508, -0.093, -0.383, -1.942],
    [0.469, 0.433, 0.962, -0.528],
    [-1.162, 0.352, 0.763, -1.087],
    [0.327, -0.308, -0.18, -0.077],
]
# Without that tolerance, delta is raised to this fraction of the largest row norm |w_i|_1, so a
# row relaxed by s_i <= 1e-6 moves by at most 1% of delta.
SAFE_DELTA = 1e-4

_honored = None


def tolerance_honored():
    global _honored
    if _honored is None:
        _honored = solve_with(TOLERANCE_PROBE, 10, 1e-6)["injective"] is True
    return _honored


def solve(W, time_limit, delta):
    honored = tolerance_honored()  # once per process, before the clock starts
    t0 = time.perf_counter()
    if not honored:
        delta = max(delta, SAFE_DELTA * float(np.abs(np.asarray(W, dtype=float)).sum(axis=1).max()))
    out = solve_with(W, time_limit, delta)
    out["ms"] = (time.perf_counter() - t0) * 1000
    return out


def solve_with(W, time_limit, delta):
    A = np.asarray(W, dtype=float)
    m, n = A.shape
    M = np.abs(A).sum(axis=1) + delta
    # Rows: [W, -diag(M)] [x; s] <= -delta, then [0, 1...1] [x; s] <= n - 1.
    card = np.concatenate([np.zeros(n), np.ones(m)])[None, :]
    rows = vstack([hstack([csr_array(A), csr_array(np.diag(-M))]), csr_array(card)])
    upper = np.concatenate([np.full(m, -delta), [n - 1]])
    constraint = LinearConstraint(rows, -np.inf, upper)
    bounds = Bounds(np.concatenate([-np.ones(n), np.zeros(m)]), np.ones(n + m))
    integrality = np.concatenate([np.zeros(n), np.ones(m)])
    # The same HiGHS options as the WebAssembly baseline, plus one thread (as there). scipy passes
    # options it does not know to HiGHS verbatim, with a RuntimeWarning.
    options = {
        "disp": False,
        "time_limit": float(time_limit),
        "mip_feasibility_tolerance": 1e-9,
        "primal_feasibility_tolerance": 1e-9,
        "threads": 1,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = milp(
            np.zeros(n + m), integrality=integrality, bounds=bounds, constraints=[constraint], options=options
        )
    # scipy's status: 0 optimal (a feasible point), 1 time or node limit, 2 infeasible, 3 unbounded, 4 other.
    # With a zero objective any feasible point is optimal; keep one found before a limit too.
    if res.status in (0, 1) and res.x is not None:
        return {"injective": False, "status": res.message, "delta": delta, "x": res.x[:n].tolist()}
    if res.status == 2:
        return {"injective": True, "status": res.message, "delta": delta, "x": None}
    limit = res.status == 1
    return {"injective": None, "status": "time limit" if limit else res.message, "delta": delta, "x": None}


def main():
    # HiGHS writes some messages to file descriptor 1 even with disp=False: keep the answers on a
    # copy of stdout and send everything else written to descriptor 1 to stderr.
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    if "--version" in sys.argv[1:]:
        info = {"scipy": scipy.__version__, "toleranceHonored": tolerance_honored()}
        print(json.dumps(info), file=answers, flush=True)
        return
    for line in sys.stdin:
        if not line.strip():
            continue
        req = {}
        try:
            req = json.loads(line)
            out = solve(req["W"], req.get("timeLimit", 60), req.get("delta", 1e-6))
        except Exception as e:  # answer every line, so the caller never waits forever
            out = {"injective": None, "status": f"error: {e}", "ms": 0, "x": None}
        out["id"] = req.get("id") if isinstance(req, dict) else None
        print(json.dumps(out), file=answers, flush=True)


if __name__ == "__main__":
    main()
