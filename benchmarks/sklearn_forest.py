"""scikit-learn side of benchmarks/forest.ts (run by it; not meant to be run alone).

Usage: /usr/bin/python3 sklearn_forest.py DIR
DIR holds train.X.f32, train.y.i32, test.X.f32, test.y.i32 (raw little-endian arrays,
row-major X) and meta.json ({"nFeatures": 54}), written by forest.ts so that both sides
train and test on exactly the same rows. The data is loaded once; then every line on
stdin is one config, {"nEstimators": int, "maxDepth": int|null}, and gets one fit and
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
        n_estimators=c["nEstimators"], max_depth=c["maxDepth"], n_jobs=1, random_state=0
    )
    t0, c0 = time.perf_counter(), time.process_time()
    clf.fit(X_tr, y_tr)
    fit_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    acc = clf.score(X_te, y_te)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({**c, "fitSeconds": fit_s, "cpuSeconds": cpu_s, "accuracy": acc, "peakRssMiB": rss, "rssAfterDataMiB": rss_data}), flush=True)
    del clf
