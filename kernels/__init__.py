"""Implicit steerable kernels and equivariant convolutions built on :mod:`groupkit`.

This package is a placeholder: the implicit steerable-kernel parametrisations and
the convolution layers that use them will be filled in later.
"""

__all__ = []
