"""Covertype rows and the stratified split, exactly as de2's examples/covertype/split.ts makes them.

Standard library only, so that CI (python3 without numpy or Ray) can check that the Python
program of `npm run bench:ray` and the de2 example train and test on the same rows:

    python3 benchmarks/ray/covtype_split.py DATA [--test-fraction 0.2] [--seed 0]

prints one JSON line: row counts and the sha256 of the train and test rows (each row as 55
little-endian int32: 54 features, then the label, rows in ascending file order). The split:
rows grouped by label (ascending), each group shuffled by Fisher-Yates with mulberry32(seed),
the test set gets ceil(n * test_fraction) rows shared out by largest remainder, each class's
first rows going to test. Written for this project from split.ts; not scikit-learn's split.
"""
import argparse
import gzip
import hashlib
import json
import math
import sys
from array import array

N_FEATURES = 54


def read_text(path):
    with open(path, "rb") as f:
        head = f.read(2)
    opener = gzip.open if head == b"\x1f\x8b" else open
    with opener(path, "rt") as f:
        return f.read()


def load_rows(path):
    """UCI covtype.data (55 integers a line), plain or gzipped: (features as flat list, labels)."""
    features = array("i")
    labels = array("i")
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split(",")
        if len(fields) != N_FEATURES + 1:
            raise ValueError(f"{path}:{number}: expected {N_FEATURES + 1} columns, got {len(fields)}")
        values = [int(v) for v in fields]
        features.extend(values[:N_FEATURES])
        labels.append(values[N_FEATURES])
    return features, labels


def mulberry32(seed):
    """The generator of split.ts: same 32-bit arithmetic, same stream for a seed."""
    state = [seed & 0xFFFFFFFF]

    def imul(a, b):
        return (a * b) & 0xFFFFFFFF

    def draw():
        state[0] = (state[0] + 0x6D2B79F5) & 0xFFFFFFFF
        t = state[0]
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return draw


def shuffled_groups(labels, seed):
    by_label = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    draw = mulberry32(seed)
    groups = []
    for key in sorted(by_label):
        group = by_label[key]
        for i in range(len(group) - 1, 0, -1):
            j = math.floor(draw() * (i + 1))
            group[i], group[j] = group[j], group[i]
        groups.append(group)
    return groups


def largest_remainder(sizes, total):
    n = sum(sizes)
    exact = [s * total / n for s in sizes]
    quotas = [math.floor(e) for e in exact]
    left = total - sum(quotas)
    # Largest fractional part first, ties to the larger group; sorted() is stable like Array.sort.
    order = sorted(range(len(sizes)), key=lambda k: (-(exact[k] - quotas[k]), -sizes[k]))
    for k in order:
        if left == 0:
            break
        if quotas[k] < sizes[k]:
            quotas[k] += 1
            left -= 1
    return quotas


def stratified_split(labels, test_fraction=0.2, seed=0):
    """Row indices (train, test), each sorted ascending, as stratifiedSplit in split.ts."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    n = len(labels)
    n_test = math.ceil(n * test_fraction)
    groups = shuffled_groups(labels, seed)
    quotas = largest_remainder([len(g) for g in groups], n_test)
    train, test = [], []
    for group, quota in zip(groups, quotas):
        test.extend(group[:quota])
        train.extend(group[quota:])
    return sorted(train), sorted(test)


def rows_sha256(features, labels, indices):
    """sha256 of the rows at `indices`: 54 features then the label, int32 little-endian."""
    h = hashlib.sha256()
    for r in indices:
        row = array("i", features[r * N_FEATURES : (r + 1) * N_FEATURES])
        row.append(labels[r])
        if sys.byteorder != "little":
            row.byteswap()
        h.update(row.tobytes())
    return h.hexdigest()


def split_summary(features, labels, train, test):
    return {
        "rows": len(labels),
        "train": len(train),
        "test": len(test),
        "trainSha256": rows_sha256(features, labels, train),
        "testSha256": rows_sha256(features, labels, test),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    features, labels = load_rows(args.data)
    train, test = stratified_split(labels, args.test_fraction, args.seed)
    print(json.dumps(split_summary(features, labels, train, test)))


if __name__ == "__main__":
    main()
