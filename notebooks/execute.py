"""Execute notebooks in place and store their outputs: ``python notebooks/execute.py X.ipynb …``.

The lessons are committed with their outputs, so they read on a web page; ``make notebooks``
refreshes them after a change. Each runs in a fresh kernel with the notebook's folder as the working
directory, with a per-cell timeout, and the run time of each is printed.
"""

import sys
import time
from pathlib import Path


def main(paths: list[str]) -> int:
    import nbformat
    from nbclient import NotebookClient

    for p in paths:
        path = Path(p)
        nb = nbformat.read(path, as_version=4)
        t0 = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        nbformat.write(nb, path)
        print(f"{path}: {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
