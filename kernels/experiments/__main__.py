"""``python -m kernels.experiments TASK [options]``: run one of the seed paper's experiments."""

from __future__ import annotations

import importlib
import sys

from . import TASKS


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in TASKS:
        print(f"usage: python -m kernels.experiments {{{','.join(TASKS)}}} [options]\n"
              "       python -m kernels.experiments TASK --help")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    module = importlib.import_module(f"kernels.experiments.{argv[0]}")
    return module.main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
