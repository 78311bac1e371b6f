"""The ``groupkit`` command line (also ``python -m groupkit``).

    groupkit solve GROUP REP_IN REP_OUT [--exact] [--latex]
    groupkit decompose GROUP REP [--exact] [--latex]
    groupkit characters GROUP [--latex]
    groupkit groups | cache info|clear | bench | demo

GROUP and REP are Python-like expressions, parsed with :mod:`ast` and evaluated by a small
interpreter that knows only the library's names — never ``eval``: ``"SO(3)"``, ``"S(4)*SO(2)"``,
``"Lorentz"``; ``"V**2 + 3*V + 1"``, ``"V >> V**2"``, ``"Sym(V, 3)"``, ``"T(1, 1)"``, ``"V.T"``.
Malformed input gets one line on stderr and exit code 2.

>>> G = parse_group("SO(3) * S(4)")
>>> G, parse_rep("V**2 + 1", parse_group("SO(3)"))
(SO(3) × S(4), V⊗V+1)
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import statistics
import sys
import time

__all__ = ["main", "parse_group", "parse_rep", "ParseError", "GROUPS"]


class ParseError(ValueError):
    """A GROUP or REP expression that cannot be understood.

    >>> try:
    ...     parse_group("SO(-1)")
    ... except ParseError as e:
    ...     print(e)
    SO(-1): n must be an integer ≥ 1; got -1.
    """


def _library() -> dict:
    from . import catalogue, finite

    names = [n for n in catalogue.__all__ if n not in ("from_permutations", "from_sympy")]
    lib = {n: getattr(catalogue, n) for n in names}
    lib.update({"A": finite.A, "Q8": finite.Q8, "PSL": finite.PSL})
    return lib


GROUPS = tuple(sorted(_library()))


def _int_arg(node, where: str) -> int:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _int_arg(node.operand, where)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    raise ParseError(f"{where}: arguments must be integers; got {ast.unparse(node)!r}.")


def _parse(text: str, what: str) -> ast.AST:
    if not isinstance(text, str) or not text.strip():
        raise ParseError(f"empty {what} expression.")
    if len(text) > 1000:
        raise ParseError(f"the {what} expression is too long (over 1000 characters).")
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise ParseError(f"cannot parse the {what} expression {text!r}.") from None


def parse_group(text: str):
    """A library group from an expression such as ``"SO(3)"``, ``"O(1,3)"`` (the Lorentz
    group), ``"S(4) * SO(2)"`` (a direct product), ``"RubiksCube"`` or ``"PSL(2, 7)"``.

    >>> parse_group("D(6)").order()
    12
    """
    from .groups import GroupError

    lib = _library()
    aliases = {("O", (1, 3)): "Lorentz", ("SO", (1, 3)): "SO13"}

    def ev(node):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return ev(node.left) * ev(node.right)
        if isinstance(node, ast.Name):
            node = ast.Call(func=node, args=[], keywords=[])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name not in lib:
                raise ParseError(f"unknown group {name!r}; the library has: "
                                 f"{', '.join(GROUPS)}.")
            if node.keywords:
                raise ParseError(f"{name}: keyword arguments are not accepted.")
            args = tuple(_int_arg(a, name) for a in node.args)
            if (name, args) in aliases:
                name, args = aliases[(name, args)], ()
            f = lib[name]
            try:
                inspect.signature(f).bind(*args)
            except TypeError:
                params = ", ".join(inspect.signature(f).parameters)
                raise ParseError(f"{name} takes ({params}); got {len(args)} argument(s)."
                                 ) from None
            try:
                return f(*args)
            except GroupError as e:
                raise ParseError(f"{name}{args if len(args) != 1 else f'({args[0]})'}: {e}"
                                 ) from None
        raise ParseError(f"not a group expression: {ast.unparse(node)!r} (write e.g. SO(3), "
                         "S(4) * SO(2)).")

    return ev(_parse(text, "GROUP"))


def parse_rep(text: str, G):
    """A representation of ``G`` from an expression in ``V``, ``Scalar`` (or an integer for
    copies of it), ``+ * ** >> <<``, ``.T``, ``T(p, q)``, ``Sym(R, k)`` and ``Alt(R, k)``.

    >>> from groupkit import SL
    >>> parse_rep("V >> V**2", SL(3)), parse_rep("Sym(V, 2) + 2", SL(3)).size
    (V⊗V⊗V*, 8)
    """
    from . import reps

    def rep_arg(node, where):
        v = ev(node)
        if not isinstance(v, reps.Rep):
            raise ParseError(f"{where} needs a representation; got {ast.unparse(node)!r}.")
        return v

    def ev(node):
        if isinstance(node, ast.Constant):
            if type(node.value) is int:
                return node.value
            raise ParseError(f"only integers may appear in a REP expression; got "
                             f"{node.value!r}.")
        if isinstance(node, ast.Name):
            if node.id == "V":
                return reps.V(G)
            if node.id == "Scalar":
                return reps.Scalar
            raise ParseError(f"unknown name {node.id!r} in the REP expression; known: V, "
                             "Scalar, T(p, q), Sym(R, k), Alt(R, k).")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            raise ParseError("negative quantities have no meaning in a REP expression.")
        if isinstance(node, ast.Attribute) and node.attr == "T":
            return rep_arg(node.value, ".T")
        if isinstance(node, ast.BinOp):
            left, right = ev(node.left), ev(node.right)
            op = type(node.op)
            if op is ast.Pow:
                if not isinstance(left, reps.Rep) or type(right) is not int or right < 0:
                    raise ParseError(f"R**k needs a representation and an integer k ≥ 0; got "
                                     f"{ast.unparse(node)!r}.")
                return left ** right
            table = {ast.Add: lambda a, b: a + b, ast.Mult: lambda a, b: a * b,
                     ast.RShift: lambda a, b: a >> b, ast.LShift: lambda a, b: a << b}
            if op not in table:
                raise ParseError(f"the operator in {ast.unparse(node)!r} is not one of "
                                 "+ * ** >> <<.")
            if op in (ast.RShift, ast.LShift) and not (
                    isinstance(left, reps.Rep) and isinstance(right, reps.Rep)):
                raise ParseError(f"{ast.unparse(node)!r}: >> and << take two representations.")
            if isinstance(left, int) and isinstance(right, int):
                raise ParseError(f"{ast.unparse(node)!r} is a number, not a representation.")
            return table[op](left, right)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            name, args = node.func.id, node.args
            if name in ("Sym", "Alt") and len(args) == 2:
                f = reps.Sym if name == "Sym" else reps.Alt
                return f(rep_arg(args[0], name), _int_arg(args[1], name))
            if name == "T" and len(args) in (1, 2):
                return reps.T(*[_int_arg(a, "T") for a in args], G=G) if len(args) == 2 else \
                    reps.T(_int_arg(args[0], "T"), 0, G)
            if name in ("Sym", "Alt", "T"):
                raise ParseError(f"{name} takes {'(p, q)' if name == 'T' else '(R, k)'}; got "
                                 f"{ast.unparse(node)!r}.")
            raise ParseError(f"unknown function {name!r} in the REP expression; known: "
                             "T(p, q), Sym(R, k), Alt(R, k).")
        raise ParseError(f"not a representation expression: {ast.unparse(node)!r}.")

    try:
        out = ev(_parse(text, "REP"))
    except reps.RepError as e:
        raise ParseError(str(e)) from None
    if isinstance(out, int):
        if out < 1:
            raise ParseError(f"{text!r} is not a representation (a number of scalars must be "
                             "≥ 1).")
        out = out * reps.Scalar
    return out


# -- commands --------------------------------------------------------------------------------

def _solve_cmd(args) -> None:
    import numpy as np

    from . import equivariant_basis, solve
    from ._latex import basis_latex, rep_latex
    from .testing import basis_error

    G = parse_group(args.group)
    rin, rout = parse_rep(args.rep_in, G), parse_rep(args.rep_out, G)
    t = time.perf_counter()
    if args.exact:
        E = equivariant_basis(rin, rout, exact=True)
        took = time.perf_counter() - t
        if args.latex:
            print(basis_latex(E, rout.size, rin.size, limit=args.limit))
            return
        print(f"Hom_{G}({rin}, {rout}): dimension {E.shape[1]} (exact, {took:.3f}s)")
        import sympy

        for k in range(min(E.shape[1], args.limit)):
            print(f"W_{k + 1} =")
            print(sympy.pretty(E[:, k].reshape(rout.size, rin.size), use_unicode=True))
        if E.shape[1] > args.limit:
            print(f"… {E.shape[1] - args.limit} more (raise --limit to see them)")
        return
    b = solve(rin, rout)
    took = time.perf_counter() - t
    if args.latex:
        Q = b.dense()
        import sympy

        mats = [sympy.Matrix(np.round(Q[:, k].reshape(rout.size, rin.size).real, 4))
                for k in range(min(Q.shape[1], args.limit))]
        body = r",\quad ".join(rf"W_{{{k + 1}}} = " + sympy.latex(m) for k, m in enumerate(mats))
        if Q.shape[1] > args.limit:  # say that maps were left out, as the exact path does
            body += rf",\ \ldots\ (\text{{{Q.shape[1]} maps}})"
        print(rf"$\dim \mathrm{{Hom}}_G({rep_latex(rin)}, {rep_latex(rout)}) = {b.dim}$")
        if body:
            print(f"${body}$")
        return
    print(f"Hom_{G}({rin}, {rout}): dimension {b.dim}  ({took:.3f}s, "
          f"{', '.join(b.methods) or 'no blocks'}; unknowns {b.shape[0]})")
    if b.dim:
        print(f"max equivariance residual over 20 random elements: "
              f"{basis_error(b, rin, rout):.1e}")


def _decompose_cmd(args) -> None:
    from .decompose import decompose

    G = parse_group(args.group)
    R = parse_rep(args.rep, G)
    import warnings

    from .decompose import NotCompletelyReducibleWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NotCompletelyReducibleWarning)
        dec = decompose(R, exact=args.exact)
    for w in caught:
        print(f"groupkit decompose: warning: {w.message}", file=sys.stderr)
    if args.latex:
        print(dec._repr_latex_())
        return
    print(dec)
    for r, m in dec:
        kind = r.kind or "indecomposable, reducible"
        print(f"  {r.label:>6}: dimension {r.size}, multiplicity {m}, {kind}")
    if dec.exact_Q is not None:
        import sympy

        print("Q (exact) =")
        print(sympy.pretty(dec.exact_Q, use_unicode=True))


def _characters_cmd(args) -> None:
    from .finite import characters

    t = characters(parse_group(args.group))
    print(t._repr_latex_() if args.latex else t)


def _groups_cmd(args) -> None:
    lib = _library()
    for name in GROUPS:
        f = lib[name]
        params = ", ".join(inspect.signature(f).parameters)
        doc = " ".join((inspect.getdoc(f) or "").split("\n\n")[0].split())
        doc = doc if len(doc) <= 90 else doc[:87] + "..."
        print(f"  {name + (f'({params})' if params else ''):<22} {doc}")


def cache_cmd(action: str) -> None:
    from .cache import cache_info, clear_disk_cache

    if action == "info":
        print(json.dumps(cache_info(), indent=2))
    else:
        n = clear_disk_cache()
        print(f"removed {n} cached bases")


def _bench_cmd(args) -> None:
    """Median wall time of a few cold solves (caches bypassed) on this machine."""
    import os
    import platform

    from . import SO, S, V, Lorentz, solve

    problems = [("SO(3): V⊗V⊗V → V⊗V", lambda: (V(SO(3)) ** 3, V(SO(3)) ** 2)),
                ("S(6): V⊗V → V⊗V", lambda: (V(S(6)) ** 2, V(S(6)) ** 2)),
                ("O(1,3): V⊗V → V⊗V", lambda: (V(Lorentz()) ** 2, V(Lorentz()) ** 2))]
    print(f"groupkit bench: median of {args.repeats} cold solves; {platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}")
    for name, make in problems:
        rin, rout = make()
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            b = solve(rin, rout, cache=False)
            times.append(time.perf_counter() - t)
        print(f"  {name:<22} dim {b.dim:>4}  {statistics.median(times) * 1e3:8.1f} ms")


def _demo_cmd(args) -> None:
    from ._demo import demo

    demo()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="groupkit", description="Equivariant maps, decompositions and characters of "
        "matrix groups. GROUP and REP are expressions such as 'SO(3)' and 'V**2 + 1'.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("solve", help="the equivariant linear maps REP_IN → REP_OUT")
    s.add_argument("group"), s.add_argument("rep_in"), s.add_argument("rep_out")
    s.add_argument("--exact", action="store_true", help="exact rational basis (sympy)")
    s.add_argument("--latex", action="store_true", help="print LaTeX")
    s.add_argument("--limit", type=int, default=12, help="most basis maps printed (12)")
    d = sub.add_parser("decompose", help="the irreducible decomposition of REP")
    d.add_argument("group"), d.add_argument("rep")
    d.add_argument("--exact", action="store_true", help="exact rational change of basis")
    d.add_argument("--latex", action="store_true", help="print LaTeX")
    c = sub.add_parser("characters", help="the character table of a finite GROUP")
    c.add_argument("group")
    c.add_argument("--latex", action="store_true", help="print LaTeX")
    sub.add_parser("groups", help="list the library of groups")
    k = sub.add_parser("cache", help="inspect or clear the disk cache of solved bases")
    k.add_argument("action", choices=["info", "clear"])
    b = sub.add_parser("bench", help="time a few cold solves on this machine")
    b.add_argument("--repeats", type=int, default=3)
    sub.add_parser("demo", help="solve and print a few equivariant bases")
    return p


def main(argv=None) -> int:
    """Run the command line; returns the exit code (2 for bad input, with one line on stderr).

    >>> main(["groups"]) == 0  # doctest: +ELLIPSIS
      A(n) ...
    True
    """
    from ._numeric import SolverError
    from .decompose import DecompositionError
    from .exact import ExactSolveError
    from .groups import GroupError
    from .reps import RepError

    args = _parser().parse_args(argv)
    handlers = {"solve": _solve_cmd, "decompose": _decompose_cmd,
                "characters": _characters_cmd, "groups": _groups_cmd, "bench": _bench_cmd,
                "demo": _demo_cmd, "cache": lambda a: cache_cmd(a.action)}
    try:
        handlers[args.command](args)
    except (ParseError, GroupError, RepError, ExactSolveError, DecompositionError,
            SolverError, MemoryError) as e:
        print(f"groupkit {args.command}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `groupkit groups | head`: the reader left; not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
