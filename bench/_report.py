"""What every benchmark reports beside its figures: the CPU, how loaded the machine was, and
the results file (private to bench/)."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return cpu


def conditions() -> str:
    """A plain statement of how quiet the machine was (load average against CPU count)."""
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    if load > 0.5 * cpus:
        return (f"shared machine: load average {load:.1f} on {cpus} CPUs while measuring; "
                "absolute times are inflated and conditions with extra load are contaminated "
                "by other processes; only ratios measured side by side are meaningful")
    return f"quiet machine: load average {load:.1f} on {cpus} CPUs"


def write_json(path: Path | None, res: dict) -> None:
    """Write the results (if a path was given), creating its folder."""
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(res, indent=1))
