"""Ray's side of the core microbenchmarks of `npm run bench:ray` (run by benchmarks/vs-ray.ts).

The same no-op work as benchmarks/ray/de2-micro.ts, with the same counts and rounds:

    python ray_micro.py --cold                  # ray.init() to the first result, then exit
    python ray_micro.py                         # ray.init(num_cpus=2) in this process
    python ray_micro.py --address HOST:PORT     # a running cluster (ray start ...)

Prints one JSON line: {"rates": {name: per second}, "seconds": {...}}. Each rate is the
median of ROUNDS timed rounds after one untimed round. Written for this project.
"""
import argparse
import json
import statistics
import time

import numpy as np

ROUNDS = 5
COUNTS = {"sync": 500, "async": 1000, "actorSync": 500, "actorAsync": 1000, "put": 2000, "get": 2000}
BIG_BYTES = 800_000_000


def median_rate(n, fn, rounds=ROUNDS):
    fn()
    rates = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        rates.append(n / (time.perf_counter() - t))
    return statistics.median(rates)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", default=None)
    parser.add_argument("--num-cpus", type=int, default=2)
    parser.add_argument("--temp-dir", default=None)
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--big-loop", action="store_true")
    args = parser.parse_args()

    t0 = time.perf_counter()
    import ray

    import_seconds = time.perf_counter() - t0
    init_args = {"log_to_driver": False}
    if args.address:
        # The nodes were started with --node-ip-address 127.0.0.1: the driver joins them on loopback.
        init_args.update(address=args.address, _node_ip_address="127.0.0.1")
    else:
        init_args.update(num_cpus=args.num_cpus, include_dashboard=False)
        if args.temp_dir:
            init_args["_temp_dir"] = args.temp_dir

    @ray.remote
    def noop():
        return 0

    t = time.perf_counter()
    ray.init(**init_args)
    init_seconds = time.perf_counter() - t
    ray.get(noop.remote())
    first_result = time.perf_counter() - t
    if args.cold:
        print(json.dumps({"seconds": {"import": import_seconds, "init": init_seconds, "initToFirstResult": first_result}}))
        ray.shutdown()
        return

    @ray.remote
    class Counter:
        def __init__(self):
            self.n = 0

        def inc(self):
            self.n += 1
            return self.n

    @ray.remote
    class AsyncCounter:
        def __init__(self):
            self.n = 0

        async def inc(self):
            self.n += 1
            return self.n

    rates = {}

    def sync_round():
        for _ in range(COUNTS["sync"]):
            ray.get(noop.remote())

    def async_round():
        ray.get([noop.remote() for _ in range(COUNTS["async"])])

    rates["sync"] = median_rate(COUNTS["sync"], sync_round)
    rates["async"] = median_rate(COUNTS["async"], async_round)

    counter = Counter.remote()
    ray.get(counter.inc.remote())

    def actor_sync_round():
        for _ in range(COUNTS["actorSync"]):
            ray.get(counter.inc.remote())

    rates["actorSync"] = median_rate(COUNTS["actorSync"], actor_sync_round)
    async_counter = AsyncCounter.remote()
    ray.get(async_counter.inc.remote())
    rates["actorAsync"] = median_rate(
        COUNTS["actorAsync"], lambda: ray.get([async_counter.inc.remote() for _ in range(COUNTS["actorAsync"])])
    )

    def put_round():
        last = None
        for i in range(COUNTS["put"]):
            last = ray.put(i)
        ray.get(last)

    rates["put"] = median_rate(COUNTS["put"], put_round)
    small = ray.put({"a": 1, "b": "two"})
    ray.get(small)

    def get_round():
        for _ in range(COUNTS["get"]):
            ray.get(small)

    rates["get"] = median_rate(COUNTS["get"], get_round)

    # 800 MB: put copies it into the object store once; get on the same node maps it (zero-copy).
    big = np.ones(BIG_BYTES // 8, dtype=np.float64)
    put_seconds = []
    ref = None
    for _ in range(3):
        ref = None
        t = time.perf_counter()
        ref = ray.put(big)
        put_seconds.append(time.perf_counter() - t)
    get_seconds = []
    for _ in range(ROUNDS):
        t = time.perf_counter()
        value = ray.get(ref)
        get_seconds.append(time.perf_counter() - t)
        assert value.nbytes == BIG_BYTES
        del value
    rates["bigPutFirstGBps"] = BIG_BYTES / 1e9 / put_seconds[0]
    rates["bigPutGBps"] = BIG_BYTES / 1e9 / statistics.median(put_seconds)
    rates["bigGetGBps"] = BIG_BYTES / 1e9 / statistics.median(get_seconds)
    notes = {"putSeconds": put_seconds}
    del ref, big
    if args.big_loop:
        notes.update(big_loop(ray, rates))
    ray.shutdown()
    seconds = {"import": import_seconds, "init": init_seconds, "initToFirstResult": first_result}
    print(json.dumps({"rates": rates, "seconds": seconds, "notes": notes}))


def big_loop(ray, rates):
    """put + task read + free of a 2 GiB array, LOOPS times (de2-micro.ts's bigLoop)."""
    loop_bytes = 2**31
    loops = 10
    huge = np.ones(loop_bytes // 8, dtype=np.float64)

    @ray.remote
    def read_pages(a):
        return float(a[::512].sum())  # one element per 4 KiB page

    loop_seconds = []
    for _ in range(loops):
        t = time.perf_counter()
        ref = ray.put(huge)
        total = ray.get(read_pages.remote(ref))
        del ref
        loop_seconds.append(time.perf_counter() - t)
        assert total == huge.size // 512
    rates["bigLoopGBps"] = loops * loop_bytes / 1e9 / sum(loop_seconds)
    rates["bigLoopMedianGBps"] = loop_bytes / 1e9 / statistics.median(loop_seconds)
    return {"loopSeconds": loop_seconds}


if __name__ == "__main__":
    main()
