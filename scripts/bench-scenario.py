#!/usr/bin/env python3
"""Writes the SimPy peer's workload (../shared/peers/ecs_simpy_ref.py) for N services as an
ecsim scenario on standard output: how scenarios/bench/services-1.toml, services-100.toml and
services-1000.toml were made, so that each is `--services N` of the peer.

    scripts/bench-scenario.py 1000 > scenarios/bench/services-1000.toml

Service i: mean 300 + 150·(i mod 7) requests/s, peaking at hour (6 − i) mod 24 UTC, and a warm
start of ceil(load at minute 0 / 60) tasks (the peer's 100 requests/s per task at 60 %). The
peer's max of 1,000 tasks is lowered to 250,000 / N above 250 services, within ecsim's bound on
a run's tasks; no service comes near either (its peak needs about 40).
"""
import math
import sys

HEAD = '''# Bench: {count} Fargate {noun} for 30 days, the workload of the SimPy peer
# (../shared/peers/ecs_simpy_ref.py): service i has mean 300 + 150·(i mod 7) requests/s, a
# diurnal swing of ±50 % peaking at hour (6 − i) mod 24 UTC (the peer's time-zone phase),
# ±20 % uniform noise per minute, 0.5 vCPU / 1 GB tasks serving 100 requests/s, 60 s start-up,
# CPU target tracking at 60 % with 300 s cooldowns, min 1, max {most}, a warm start.
version = 1
name = "services-{n}"
start = "2026-01-05T00:00:00Z"
duration = "30d"
tick = "1m"
series_interval = "1h"
seed = 1

'''

SERVICE = '''[loads.l{k}]
shape = "diurnal"
mean = {mean:.1f}
amplitude = 0.5
peak = "{peak:02d}:00"
noise = {{ kind = "uniform", width = 0.2 }}

[services.s{k}]
load = "l{k}"
cpu = 512
memory = 1024
requests_per_task = 100.0
desired_count = {desired}
min_capacity = 1
max_capacity = {most}
startup = "60s"

[[services.s{k}.target_tracking]]
metric = "cpu"
target_value = 60.0
'''


def scenario(n):
    most = min(1000, 250_000 // n)
    blocks = [HEAD.format(count=f"{n:,}", noun="service" if n == 1 else "services", n=n, most=most)]
    width = max(3, len(str(n - 1)))
    for i in range(n):
        mean = 300 + 150 * (i % 7)
        phase = 2 * math.pi * (i % 24) / 24
        start_load = mean * (1 + 0.5 * math.sin(phase))
        desired = max(1, math.ceil(start_load / 60.0 - 1e-9))  # 900.0000000000001 / 60 is 15
        block = SERVICE.format(k=f"{i:0{width}d}", mean=mean, peak=(6 - i) % 24, desired=desired, most=most)
        blocks.append(block + ("\n" if i < n - 1 else ""))
    return "".join(blocks)


if __name__ == "__main__":
    sys.stdout.write(scenario(int(sys.argv[1])))
