#!/usr/bin/env python3
"""Wall time of the offline plan, whole process, as a user runs it (prints figures; not a test).

    venv/bin/python scripts/benchmark_plan.py [--repeat 3]

Targets on a 2-core machine: dev plan <= 3 s; 20 node groups <= 2x the time of 2; a fleet of 4
regions <= 2.5x the time of 2 (each region is a whole platform).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def node_groups(count: int) -> str:
    groups = [
        {
            "name": f"group-{i}",
            "instanceTypes": ["t4g.medium"],
            "minSize": 1,
            "desiredSize": 1,
            "maxSize": 2,
        }
        for i in range(count)
    ]
    return json.dumps(groups)


def fleet_regions(count: int) -> str:
    names = ["us-east-1", "eu-west-1", "ap-northeast-2", "us-west-2"][:count]
    return json.dumps(
        [{"region": name, "vpcCidr": f"10.{10 * (i + 1)}.0.0/16", "availabilityZoneCount": 2,
          "publicAccessCidrs": ["203.0.113.0/24"]} for i, name in enumerate(names)]
    )  # fmt: skip


def wall_time(args: list[str], repeat: int) -> float:
    """Median seconds of ``repeat`` runs of ``python -m eks_platform.offline <args>``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "eks_platform.offline", *args, "--format", "json"],
            cwd=PROJECT_DIR,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description="Wall time of the offline plan, whole process.")
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    cases = {
        "dev": ["dev"],
        "prod": ["prod"],
        "dev, 2 node groups": ["dev", "--set", f"nodeGroups={node_groups(2)}"],
        "dev, 20 node groups": ["dev", "--set", f"nodeGroups={node_groups(20)}"],
        "fleet, 2 regions": ["fleet", "global", "--project-dir", "fleet",
                             "--set", f"regions={fleet_regions(2)}"],
        "fleet, 4 regions": ["fleet", "global", "--project-dir", "fleet",
                             "--set", f"regions={fleet_regions(4)}"],
    }  # fmt: skip
    results = {name: wall_time(args, repeat) for name, args in cases.items()}
    width = max(map(len, results))
    for name, seconds in results.items():
        print(f"{name:<{width}}  {seconds:6.2f} s  (median of {repeat})")
    ratio = results["dev, 20 node groups"] / results["dev, 2 node groups"]
    print(f"{'20 / 2 node groups':<{width}}  {ratio:6.2f} x")
    regions = results["fleet, 4 regions"] / results["fleet, 2 regions"]
    print(f"{'4 / 2 fleet regions':<{width}}  {regions:6.2f} x")


if __name__ == "__main__":
    main()
