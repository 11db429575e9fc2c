"""The DE2 assignment's program with Ray Tune and scikit-learn, for `npm run bench:ray`.

A grid search of sklearn.ensemble.RandomForestClassifier on Covertype: the data is loaded
once, split once (the same stratified split as de2's example, see covtype_split.py) and
put into Ray's object store once by tune.with_parameters; every trial fits one forest on
one CPU and reports its test accuracy. Written for this project.

    benchmarks/ray/.venv/bin/python benchmarks/ray/tune_forest.py \
        --data FILE --configs GRID.json --num-cpus 2 --max-concurrent 2 --out RESULT.json

GRID.json is the list of configurations, as de2's example names them ({"nEstimators",
"maxDepth", "maxFeatures", "minSamplesLeaf"}); `npm run bench:ray` writes it from
examples/random-forest/grids.ts so that both sides search the same grid. `--plan` prints
the split's row hashes and the scikit-learn parameters of every trial, and imports
neither Ray nor scikit-learn (CI checks the plan without them).
"""
import argparse
import hashlib
import json
import os
import sys
import time

STARTED = time.perf_counter()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from covtype_split import split_summary, load_rows, stratified_split  # noqa: E402


def sklearn_params(config, seed):
    """scikit-learn's names for one de2 configuration (seed: de2's forest seed, here random_state)."""
    return {
        "n_estimators": config["nEstimators"],
        "max_depth": config["maxDepth"],
        "max_features": config["maxFeatures"],
        "min_samples_leaf": config["minSamplesLeaf"],
        "n_jobs": 1,
        "random_state": seed,
    }


def train_forest(config, X_train, y_train, X_test, y_test):
    """One trial: fit one forest on the shared arrays (read from the object store, not copied)."""
    from ray import tune
    from sklearn.ensemble import RandomForestClassifier

    t0 = time.perf_counter()
    params = config["rf"]["params"]
    clf = RandomForestClassifier(**params)
    clf.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - t0
    accuracy = clf.score(X_test, y_test)
    tune.report({"accuracy": accuracy, "fit_seconds": fit_seconds, "trees": params["n_estimators"]})


def rows_sha256(X, y, idx):
    import numpy as np

    rows = np.column_stack((X[idx], y[idx])).astype("<i4")
    return hashlib.sha256(rows.tobytes()).hexdigest()


def main():
    parser = argparse.ArgumentParser(description="Ray Tune grid search of a random forest on Covertype")
    parser.add_argument("--data", required=True, help="UCI covtype.data, plain or gzipped")
    parser.add_argument("--configs", required=True, help="JSON list of de2 configurations")
    parser.add_argument("--num-cpus", type=int, default=2)
    parser.add_argument("--max-concurrent", type=int, default=2)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--storage", default=None, help="Tune's results folder (absolute)")
    parser.add_argument("--temp-dir", default=None, help="Ray's session folder")
    parser.add_argument("--out", default=None, help="write the result JSON here")
    parser.add_argument("--plan", action="store_true", help="print split hashes and trial parameters only")
    args = parser.parse_args()
    with open(args.configs) as f:
        configs = json.load(f)
    trials = [{"config": c, "params": sklearn_params(c, args.seed)} for c in configs]

    if args.plan:
        features, labels = load_rows(args.data)
        train, test = stratified_split(labels, args.test_fraction, args.seed)
        print(json.dumps({"split": split_summary(features, labels, train, test), "trials": trials}))
        return

    import numpy as np
    import pandas as pd

    t = time.perf_counter()
    table = pd.read_csv(args.data, header=None, dtype=np.int32).to_numpy()
    X, y = table[:, :54].astype(np.float32), table[:, 54]
    load_seconds = time.perf_counter() - t
    t = time.perf_counter()
    train, test = stratified_split(y.tolist(), args.test_fraction, args.seed)
    train, test = np.asarray(train), np.asarray(test)
    X_train, y_train, X_test, y_test = X[train], y[train], X[test], y[test]
    split_seconds = time.perf_counter() - t
    split = {
        "rows": int(len(y)),
        "train": int(len(train)),
        "test": int(len(test)),
        "trainSha256": rows_sha256(X, y, train),
        "testSha256": rows_sha256(X, y, test),
    }
    del table, X, y

    import ray
    from ray import tune

    t = time.perf_counter()
    init_args = {"num_cpus": args.num_cpus, "include_dashboard": False}
    if args.temp_dir:
        init_args["_temp_dir"] = args.temp_dir
    ray.init(**init_args)
    init_seconds = time.perf_counter() - t
    tuner = tune.Tuner(
        tune.with_resources(
            tune.with_parameters(train_forest, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test),
            {"cpu": 1},
        ),
        param_space={"rf": tune.grid_search(trials)},
        tune_config=tune.TuneConfig(metric="accuracy", mode="max", max_concurrent_trials=args.max_concurrent),
        run_config=tune.RunConfig(
            name="covertype-rf", storage_path=args.storage, verbose=0, log_to_file=False
        ),
    )
    t = time.perf_counter()
    results = tuner.fit()
    search_seconds = time.perf_counter() - t
    best = results.get_best_result(metric="accuracy", mode="max")
    per_trial = [
        {
            "config": r.config["rf"]["config"],
            "accuracy": r.metrics.get("accuracy"),
            "fitSeconds": r.metrics.get("fit_seconds"),
            "trialSeconds": r.metrics.get("time_total_s"),
            "error": None if r.error is None else type(r.error).__name__,
        }
        for r in results
    ]
    t = time.perf_counter()
    ray.shutdown()
    shutdown_seconds = time.perf_counter() - t
    import ray as ray_module
    import sklearn

    out = {
        "versions": {"ray": ray_module.__version__, "sklearn": sklearn.__version__, "python": sys.version.split()[0]},
        "split": split,
        "bestConfig": best.config["rf"]["config"],
        "bestAccuracy": best.metrics["accuracy"],
        "trials": per_trial,
        "errors": sum(1 for p in per_trial if p["error"]),
        "seconds": {
            "load": load_seconds,
            "split": split_seconds,
            "init": init_seconds,
            "search": search_seconds,
            "shutdown": shutdown_seconds,
            "total": time.perf_counter() - STARTED,
        },
    }
    text = json.dumps(out, indent=2)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(f"ray: best {json.dumps(out['bestConfig'])} accuracy {out['bestAccuracy']:.4f}, "
          f"search {search_seconds:.1f} s, total {out['seconds']['total']:.1f} s")


if __name__ == "__main__":
    main()
