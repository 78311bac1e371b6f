"""The one version string of groupkit (read by pyproject.toml and groupkit.__version__)."""

__version__ = "0.1.0"
