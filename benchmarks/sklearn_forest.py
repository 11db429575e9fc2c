"""scikit-learn side of benchmarks/forest.ts (run by it; not meant to be run alone).

Usage: PYTHON sklearn_forest.py DIR (PYTHON: see forest/sklearn.ts)
DIR holds train.X.f32, train.y.i32, test.X.f32, test.y.i32 (raw little-endian arrays,
row-major X) and meta.json ({"nFeatures": 54}), written by forest.ts so that both sides
train and test on exactly the same rows. The data is loaded once; then every line on
stdin is one config, {"nEstimators": int, "maxDepth": int|null} (optionally also
randomState, ccpAlpha, minImpurityDecrease, maxLeafNodes, classWeight, oobScore), and gets one fit and
one JSON line on stdout: fit wall and CPU seconds (only fit is timed, n_jobs=1), test
accuracy, peak RSS so far and RSS once the data was loaded, in MiB. One process serves
all the repeats of a data set, so python's imports and warm-up are paid once, as de2's
are. The first line printed (the version) says the data is loaded.
"""
import json
import os
import resource
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier

folder = sys.argv[1]
nf = json.load(open(os.path.join(folder, "meta.json")))["nFeatures"]


def load(name):
    X = np.fromfile(os.path.join(folder, name + ".X.f32"), dtype="<f4").reshape(-1, nf)
    y = np.fromfile(os.path.join(folder, name + ".y.i32"), dtype="<i4")
    return X, y


def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


X_tr, y_tr = load("train")
X_te, y_te = load("test")
rss_data = rss_mib()
print(json.dumps({"sklearn": sklearn.__version__, "train": len(y_tr), "test": len(y_te)}), flush=True)
for line in sys.stdin:
    if not line.strip():
        continue
    c = json.loads(line)
    clf = RandomForestClassifier(
        n_estimators=c["nEstimators"],
        max_depth=c["maxDepth"],
        n_jobs=1,
        random_state=c.get("randomState", 0),
        # The parameters of `bench:forest -- --params` (camelCase on the wire), else the defaults.
        ccp_alpha=c.get("ccpAlpha", 0.0),
        min_impurity_decrease=c.get("minImpurityDecrease", 0.0),
        max_leaf_nodes=c.get("maxLeafNodes"),
        class_weight=c.get("classWeight"),
        oob_score=c.get("oobScore", False),
    )
    t0, c0 = time.perf_counter(), time.process_time()
    clf.fit(X_tr, y_tr)
    fit_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    acc = clf.score(X_te, y_te)
    extra = {"meanNodes": float(np.mean([e.tree_.node_count for e in clf.estimators_]))}
    if c.get("oobScore"):
        extra["oob"] = clf.oob_score_
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({**c, "fitSeconds": fit_s, "cpuSeconds": cpu_s, "accuracy": acc, "peakRssMiB": rss, "rssAfterDataMiB": rss_data, **extra}), flush=True)
    del clf
