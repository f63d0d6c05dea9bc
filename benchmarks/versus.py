"""briefer against an earlier briefer: the same workload, both commits, one run, one machine.

RESULTS.md holds figures from one machine at one commit; machines differ (an AMD EPYC with AVX2
runs the same work at about half the speed of an Intel Xeon with AVX-512 VNNI), so a change is
judged by running the earlier commit and this one side by side here, in one invocation, on the
same full-size random models and articles as benchmarks/run.py, and comparing their times as a
ratio. Rounds alternate the order (old, new, then new, old) so that a drift in the machine's
load falls on both sides alike.

    python benchmarks/versus.py --ref 3412701 --stages summarize,brief-fr --rounds 2
    python benchmarks/versus.py --ref 3412701 --quick    # tiny models: checks the harness

--ref names the earlier commit (3412701 wrote the RESULTS.md of 2026-11-24, on an Intel Xeon).

The earlier commit runs from a git worktree under benchmarks/.cache/ with this venv's packages
(its own `src/` first on PYTHONPATH); each side keeps its own CTranslate2 conversions, made once
before timing. Writes benchmarks/VERSUS.md (or .cache/VERSUS-quick.md with --quick).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (  # noqa: E402 - run.py is a sibling script, not a package
    HERE,
    REPO,
    STAGES,
    Context,
    check_output,
    child_env,
    ensure_models,
    isa,
    machine,
    make_articles,
    measure,
    warm_page_cache,
    write_summaries,
)


def worktree(ref: str, root: Path) -> Path:
    """Return a checkout of ref under root, made once with git worktree."""
    path = root / f"versus-{ref}"
    if not (path / "src" / "briefer").is_dir():
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run(["git", "-C", str(REPO), "worktree", "prune"], check=True)
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(path), ref], check=True
        )
    return path


# Flags run.py gives today's briefer that the earlier commit does not have: --no-guard (the
# earlier commit had no output guard either, so both sides keep the models' output).
NEW_FLAGS = ("--no-guard",)


def without_new_flags(cmd: list[str], side: str, extra: Sequence[str] = ()) -> list[str]:
    """Return the command for a side: the earlier commit without the flags it lacks, this one
    with the extra flags asked for."""
    return [c for c in cmd if c not in NEW_FLAGS] if side.startswith("old") else [*cmd, *extra]


def main(argv: list[str] | None = None) -> int:
    """Run the stages with both commits, alternating, and write the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", required=True, help="the earlier commit, e.g. 3412701")
    parser.add_argument("--stages", default="summarize,brief-fr")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="tiny models and 2 short articles")
    parser.add_argument("--models-dir", type=Path, default=HERE / ".models")
    parser.add_argument("--out", type=Path, help="report file [benchmarks/VERSUS.md]")
    parser.add_argument(
        "--new-flags",
        default="",
        help="flags for this commit only, e.g. '--strategy shares' for the earlier commit's work",
    )
    parser.add_argument(
        "--warm", action="store_true", help="skip the untimed first use (conversions exist)"
    )
    args = parser.parse_args(argv)
    ref = args.ref
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    if bad := [s for s in stages if s not in STAGES]:
        parser.error(f"unknown stage {', '.join(bad)}; choose from {', '.join(STAGES)}")
    mode = "quick" if args.quick else "full"
    cache = HERE / ".cache"
    work = cache / f"versus-work-{mode}"
    shutil.rmtree(work, ignore_errors=True)
    models, _ = ensure_models(args.models_dir, args.quick)
    articles = make_articles(work / "articles", args.quick)
    summaries = work / "summaries.txt"
    write_summaries(articles, summaries, args.quick)
    old_tree = worktree(ref, cache)
    head = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    sides = {}
    for name, src in ((f"old ({ref})", old_tree / "src"), (f"new ({head})", REPO / "src")):
        env = child_env(cache / f"versus-{'old' if name.startswith('old') else 'new'}")
        env["PYTHONPATH"] = str(src)
        ctx = Context(
            models,
            articles,
            work / "articles",
            summaries,
            work,
            [sys.executable, "-m", "briefer"],
            env,
        )
        sides[name] = ctx
    warm_page_cache(models)
    # Untimed first use: each side converts the models for CTranslate2 once, as a download.
    for name, ctx in [] if args.warm else sides.items():
        for stage in stages:
            out = work / "first-use" / f"{stage}-{name.split()[0]}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            cmd = STAGES[stage].briefer(ctx, out, "auto")
            cmd = without_new_flags(cmd, name, args.new_flags.split())
            measured = measure(cmd, ctx.env, work / "logs" / f"first-{stage}-{name.split()[0]}.log")
            print(f"first use  {stage:10s} {name:22s} {measured.wall_s:6.1f} s rc={measured.rc}")
    walls: dict[tuple[str, str], list[float]] = {}
    others: dict[tuple[str, str], list[float]] = {}
    checks: dict[tuple[str, str], str] = {}
    started = dt.datetime.now().astimezone()
    for round_ in range(args.rounds):
        order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
        for stage in stages:
            for name in order:
                ctx = sides[name]
                tag = f"{stage}-{name.split()[0]}-{round_}"
                out = work / "out" / f"{tag}.json"
                out.parent.mkdir(parents=True, exist_ok=True)
                cmd = STAGES[stage].briefer(ctx, out, "auto")
                cmd = without_new_flags(cmd, name, args.new_flags.split())
                measured = measure(cmd, ctx.env, work / "logs" / f"{tag}.log")
                ok, what = check_output(stage, "auto", out, ctx)
                if measured.rc != 0 or not ok:
                    raise SystemExit(f"{tag} failed (rc {measured.rc}): see {work / 'logs'}")
                walls.setdefault((stage, name), []).append(measured.wall_s)
                others.setdefault((stage, name), []).append(measured.others or 0.0)
                checks[(stage, name)] = what
                print(
                    f"round {round_ + 1} {stage:10s} {name:22s} {measured.wall_s:6.1f} s  "
                    f"others {measured.others or 0:.2f} cores  {what}",
                    flush=True,
                )
    m = machine()
    lines = [
        "# briefer against an earlier briefer",
        "",
        f"Written {started:%Y-%m-%d %H:%M %Z} by `python benchmarks/versus.py"
        + (" --quick" if args.quick else "")
        + f" --ref {ref}"
        + (f" --new-flags '{args.new_flags}'" if args.new_flags else "")
        + f"`: commit {ref} against {head}, "
        f"{args.rounds} rounds, alternating order, default backend (auto), whole process.",
        "",
        f"- CPU: {m['cpu']}, {m['cpus']} CPUs available; ISA: {isa()}",
        f"- Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if k != "briefer"),
        f"- Models: {'tiny' if args.quick else 'full-size'} random weights from benchmarks/run.py "
        f"({models}); workload: its {len(articles)} articles.",
        "",
        "| Stage | Side | Wall (s), each round | Median (s) | Others' CPU | New / old | What it did |",
        "| --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    names = list(sides)
    for stage in stages:
        old_median = statistics.median(walls[(stage, names[0])])
        for name in names:
            median = statistics.median(walls[(stage, name)])
            ratio = "–" if name == names[0] else f"{median / old_median:.2f}×"
            lines.append(
                f"| {STAGES[stage].label} | {name} | "
                + ", ".join(f"{w:.1f}" for w in walls[(stage, name)])
                + f" | {median:.1f} | {statistics.mean(others[(stage, name)]):.2f} | {ratio} "
                f"| {checks[(stage, name)]} |"
            )
    lines += [
        "",
        "New / old is the new commit's median wall time over the old one's: below 1.00× is "
        "faster. *Others' CPU*: cores other processes used meanwhile (noise), as in RESULTS.md.",
        "",
    ]
    report = args.out or ((cache / "VERSUS-quick.md") if args.quick else (HERE / "VERSUS.md"))
    report.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"written to {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
