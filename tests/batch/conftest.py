"""What the batch layer's tests share: a small notebook, a plan of it, a project of its own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from salesops.batch import runner

ROOT = Path(__file__).parents[2]
TINY = str(Path(__file__).parents[1] / "fixtures" / "notebooks" / "tiny_report")  # a small notebook


def write_plan(path: Path, reports: list[dict], period: str = "2026-09") -> Path:
    path.write_text(yaml.safe_dump({"period": period, "formats": ["html"], "reports": reports}))
    return path


@pytest.fixture
def home(tmp_path, tiny_dir, monkeypatch) -> Path:
    """A project of its own (parameters, notebooks and the tiny CRM) that a test may change."""
    home = tmp_path / "home"
    shutil.copytree(ROOT / "parameters", home / "parameters")
    shutil.copytree(ROOT / "notebooks", home / "notebooks")
    shutil.copytree(tiny_dir, home / "crm")
    monkeypatch.setenv("SALESOPS_HOME", str(home))
    return home


def statuses(results: list[runner.Result]) -> dict[tuple[str, str], str]:
    return {(r.report, r.scope): r.status for r in results}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))
