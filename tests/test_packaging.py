"""An installed (non-editable) wheel finds its prompts and template."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_prompts_and_template(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("briefer-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert {
        "briefer/prompts/plain.txt",
        "briefer/prompts/t5-summarize.txt",
        "briefer/templates/brief.md.j2",
    } <= set(names)
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    code = (
        "import briefer, briefer.prompts as p, briefer.render as r\n"
        f"assert briefer.__file__.startswith({str(target)!r}), briefer.__file__\n"
        "print(sorted(p.available()), len(r._template_text(None)) > 100)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "['plain', 't5-summarize'] True"
