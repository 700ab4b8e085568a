"""Run the three benchmarks one after the other and print a summary table (`make bench`).

    .venv/bin/python bench/run_all.py            # full size: 2,000 / 100,000 / 100,000
    .venv/bin/python bench/run_all.py --quick    # small sizes, a couple of minutes
    .venv/bin/python bench/run_all.py --only sweep --deadlines 20000

Each benchmark runs in its own process with its own throw-away PostgreSQL database and
prints its full report; the table at the end gathers the headline figures. Missing a target
does not fail the run (these are measurements); a benchmark that crashes, or a sweep that
fires a deadline twice, does.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(name: str, args: list[str]) -> tuple[int, dict | None, float]:
    with tempfile.TemporaryDirectory(prefix="aftersales-bench-") as tmp:
        out = Path(tmp) / f"{name}.json"
        print(f"\n===== bench_{name}.py {' '.join(args)}", flush=True)
        t0 = time.perf_counter()
        code = subprocess.call(
            [sys.executable, str(HERE / f"bench_{name}.py"), *args, "--json", str(out)],
            cwd=HERE.parent,
        )
        elapsed = time.perf_counter() - t0
        data = json.loads(out.read_text()) if out.exists() else None
    return code, data, elapsed


def others_share(cpu: dict) -> str:
    """How much of the machine other processes took during the measurement."""
    return f"{100 * cpu['other_cpu_s'] / cpu['machine_capacity_s']:.0f}%"


def rows_for(name: str, data: dict) -> list[tuple[str, str, str, str, str]]:
    ok = {True: "met", False: "MISSED"}
    if name == "api":
        cpu = data["cpu"]
        ours = cpu["server_cpu_s"] + cpu["postgres_cpu_s"] + cpu["client_cpu_s"]
        setup = f"{data['clients']} clients, {data['workers']} workers, {data['creations']} cases"
        return [
            (
                "api",
                f"creations/s ({setup})",
                f"{data['creations_per_s']:.0f}",
                f">= {data['targets']['creations_per_s']}",
                ok[data["met"]["creations_per_s"]] + f" (others {others_share(cpu)})",
            ),
            (
                "api",
                "POST /cases p50 / p99",
                f"{data['create']['p50_ms']:.1f} / {data['create']['p99_ms']:.1f} ms",
                f"p99 < {data['targets']['p99_ms']} ms",
                ok[data["met"]["create_p99"]],
            ),
            (
                "api",
                "POST .../actions/agree p50 / p99",
                f"{data['agree']['p50_ms']:.1f} / {data['agree']['p99_ms']:.1f} ms",
                f"p99 < {data['targets']['p99_ms']} ms",
                ok[data["met"]["agree_p99"]],
            ),
            (
                "api",
                "CPU-ms per case (server+db+client)",
                f"{1000 * ours / data['creations']:.1f}",
                "<= 6.7 for 300/s on 2 cores",
                "",
            ),
        ]
    if name == "sweep":
        one, two = data["runs"]["1"], data["runs"]["2"]
        return [
            (
                "sweep",
                f"deadlines/s, 1 worker ({data['count']} due)",
                f"{one['deadlines_per_s']:.0f}",
                "",
                f"(others {others_share(one['cpu'])})",
            ),
            (
                "sweep",
                f"deadlines/s, 2 workers ({data['count']} due)",
                f"{two['deadlines_per_s']:.0f}",
                f">= {data['target_per_s']}",
                ok[data["met"]] + f" (others {others_share(two['cpu'])})",
            ),
            (
                "sweep",
                "each deadline fired exactly once",
                "yes" if data["exactly_once"] else "NO",
                "yes",
                ok[data["exactly_once"]],
            ),
        ]
    if name == "list":
        rows = []
        for clients, level in data["levels"].items():
            rows.append(
                (
                    "list",
                    f"GET /cases?shop&status p50 / p99, {clients} client(s)",
                    f"{level['latency']['p50_ms']:.1f} / {level['latency']['p99_ms']:.1f} ms",
                    f"p99 <= {data['target_p99_ms']} ms",
                    ok[data["met"][clients]] + f" (others {others_share(level['cpu'])})",
                )
            )
        rows.append(
            (
                "list",
                "  of which database alone (EXPLAIN ANALYZE) p50 / p99",
                f"{data['db_alone']['p50_ms']:.1f} / {data['db_alone']['p99_ms']:.1f} ms",
                "",
                "",
            )
        )
        rows.append(
            (
                "list",
                "  Django in-process, no HTTP p50 / p99",
                f"{data['django_in_process']['p50_ms']:.1f} / "
                f"{data['django_in_process']['p99_ms']:.1f} ms",
                "",
                "",
            )
        )
        return rows
    return []


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes (400 cases / 10,000 deadlines / 10,000 listed cases)",
    )
    parser.add_argument(
        "--only", default="api,sweep,list", help="comma-separated subset of api,sweep,list"
    )
    parser.add_argument("--creations", type=int, help="bench_api --creations")
    parser.add_argument("--deadlines", type=int, help="bench_sweep --count")
    parser.add_argument("--cases", type=int, help="bench_list --cases")
    parser.add_argument("--workers", type=int, default=4, help="server workers (4)")
    args = parser.parse_args()

    sizes = {
        "api": [
            "--creations",
            str(args.creations or (400 if args.quick else 2000)),
            "--workers",
            str(args.workers),
        ],
        "sweep": ["--count", str(args.deadlines or (10_000 if args.quick else 100_000))],
        "list": [
            "--cases",
            str(args.cases or (10_000 if args.quick else 100_000)),
            "--workers",
            str(args.workers),
        ]
        + (["--requests", "300"] if args.quick else []),
    }
    results, failed = {}, []
    for name in [n.strip() for n in args.only.split(",") if n.strip()]:
        code, data, elapsed = run(name, sizes[name])
        if code != 0 or data is None:
            failed.append(f"{name} (exit {code})")
        if data is not None:
            results[name] = (data, elapsed)

    table = [("bench", "figure", "measured", "target", "")]
    for name, (data, _elapsed) in results.items():
        table += rows_for(name, data)
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    print("\n===== summary (others: CPU share taken by other processes during the measurement)")
    for n, row in enumerate(table):
        print("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))
    print(
        "  run times: "
        + ", ".join(f"{name} {elapsed:.0f} s" for name, (_d, elapsed) in results.items())
    )
    if failed:
        print(f"  FAILED: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
