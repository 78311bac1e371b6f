"""Moved to :mod:`groupkit._emlp_compat` (installed code must not import ``bench``); kept so
that ``from bench._emlp_compat import patch_emlp`` in scripts and tests still works."""

from groupkit._emlp_compat import patch_emlp

__all__ = ["patch_emlp"]
