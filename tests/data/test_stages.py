"""The stage configuration (salesops.data.stages): its checks, and the stage lists and
probabilities read from it."""

from __future__ import annotations

import math
import os

import pandas as pd
import pytest

from salesops.data.model import Tables
from salesops.data.stages import UNKNOWN_OPEN, Stages
from salesops.errors import ConfigError

GOOD = [
    {"name": "Open", "probability": 0.2},
    {"name": "Won", "probability": 1, "closed": True, "won": True},
    {"name": "Lost", "probability": 0, "closed": True},
]


def test_the_shipped_stages():
    stages = Stages.read()
    assert stages.won == "Closed Won"
    assert stages.lost_names == ["Closed Lost"]
    assert stages.open_names[0] == "Prospecting"
    assert stages.qualified_names == ["Discovery", "Proposal", "Negotiation"]
    assert stages.probabilities["Proposal"] == 0.5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {0: {"name": "Open", "probability": 1.5}},
            r"stages #1 \(Open\).probability: must be a number between 0 and 1, got 1.5",
        ),
        ({0: {"name": "Open"}}, r"stages #1 \(Open\).probability: is required"),
        ({0: {"probability": 0.2}}, "stages #1.name: is required"),
        (
            {1: {"name": "Won", "probability": 1, "closed": True}},
            "exactly one stage must be closed and won",
        ),
        ({2: {"name": "Won", "probability": 0, "closed": True}}, "stage names repeat"),
        ({0: {"name": "Open", "probability": 0.2, "colour": "red"}}, "colour: unknown key"),
        (
            {0: {"name": "Open", "probability": 0.2, "forecast_category": "maybe"}},
            "forecast_category: must be 'pipeline', 'best_case'.*got 'maybe'",
        ),
    ],
)
def test_broken_stage_files(change, message):
    stages = [dict(s) for s in GOOD]
    for index, value in change.items():
        stages[index] = value
    with pytest.raises(ConfigError, match=message):
        Stages.from_dict({"stages": stages}, origin="stages.yml")


def test_a_stage_list_with_no_open_stage_is_valid():
    """An export of won (or closed) deals only has no open stage: its pipeline sections say
    so (``salesops.data.model.OPEN_DEALS``) rather than refusing the source."""
    stages = Stages.from_dict({"stages": GOOD[1:]})
    assert stages.open_names == [] and stages.won == GOOD[1]["name"]


PIPELINE = Stages.from_dict(
    {
        "stages": [
            {"name": "Lead", "probability": 0.1},
            {"name": "Demo", "probability": 0.4, "qualified": True},
            {"name": "Won", "probability": 1, "closed": True, "won": True},
            {"name": "Lost", "probability": 0, "closed": True},
            {"name": "Gone", "probability": 0, "closed": True},
        ]
    }
)


def test_the_stage_lists_keep_the_pipeline_order():
    assert PIPELINE.names == ["Lead", "Demo", "Won", "Lost", "Gone"]
    assert PIPELINE.open_names == ["Lead", "Demo"]
    assert PIPELINE.closed_names == ["Won", "Lost", "Gone"]
    assert PIPELINE.lost_names == ["Lost", "Gone"]
    assert PIPELINE.qualified_names == ["Demo"]
    assert PIPELINE.won == "Won"


def test_a_qualified_closed_stage_is_not_qualified_pipeline():
    stages = Stages.from_dict(
        {"stages": [{**GOOD[1], "qualified": True}, GOOD[0], GOOD[2]]}  # Won, Open, Lost
    )
    assert stages.qualified_names == []


def test_a_stage_name_written_as_a_number_is_text():
    stages = Stages.from_dict({"stages": [{"name": 1, "probability": 0.5}, *GOOD[1:]]})
    assert stages.names == ["1", "Won", "Lost"]


def test_a_probability_of_true_is_refused():
    """YAML's ``yes`` is a bool, which Python would take for 1."""
    with pytest.raises(ConfigError, match="must be a number between 0 and 1, got True"):
        Stages.from_dict({"stages": [{"name": "Open", "probability": True}, *GOOD[1:]]})


def test_probability_of_maps_each_stage_and_nan_for_anything_else():
    got = PIPELINE.probability_of(pd.Series(["Demo", "Won", "Typo", None], index=[2, 4, 6, 8]))
    assert got.index.tolist() == [2, 4, 6, 8]
    assert got.iloc[:2].tolist() == [0.4, 1.0] and got.iloc[2:].isna().all()


def test_the_unknown_open_stage_is_the_first_open_one_if_any():
    assert PIPELINE.unknown_open == "Lead"
    assert PIPELINE.with_unknown_open() is PIPELINE


def test_a_pipeline_without_an_open_stage_gets_one_of_unknown_probability():
    closed = Stages.from_dict({"stages": GOOD[1:]})
    assert closed.unknown_open == UNKNOWN_OPEN
    widened = closed.with_unknown_open()
    assert widened.names == [UNKNOWN_OPEN, "Won", "Lost"]
    assert widened.open_names == [UNKNOWN_OPEN] and widened.won == "Won"
    assert math.isnan(widened.probabilities[UNKNOWN_OPEN])


def test_of_and_given_fall_back_to_the_projects_stages():
    deals = Tables(opportunities=pd.DataFrame(), reps=pd.DataFrame())
    assert Stages.of(deals) == Stages.read() == Stages.given(None)
    deals.stages = PIPELINE
    assert Stages.of(deals) is PIPELINE and Stages.given(PIPELINE) is PIPELINE


def test_a_stage_file_is_parsed_once_per_version(tmp_path):
    path = tmp_path / "stages.yml"
    path.write_text("stages:\n  - {name: Won, probability: 1, closed: true, won: true}\n")
    first = Stages.read(path)
    assert Stages.read(path) is first  # unchanged: the same (immutable) object
    path.write_text(
        "stages:\n  - {name: Open, probability: 0.3}\n"
        "  - {name: Won, probability: 1, closed: true, won: true}\n"
    )
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 1_000_000_000))  # a later version
    assert Stages.read(path).open_names == ["Open"]


def test_a_stage_file_rewritten_within_the_clocks_tick_is_read_anew(tmp_path):
    """Two writes can share a modification time (the file system's clock ticks every few
    milliseconds); before, the cache, keyed on the time alone, kept the first version.
    The file's size (and inode) are part of its version now."""
    path = tmp_path / "stages.yml"
    path.write_text("stages:\n  - {name: Won, probability: 1, closed: true, won: true}\n")
    written = path.stat().st_mtime_ns
    assert Stages.read(path).open_names == []
    path.write_text(
        "stages:\n  - {name: Open, probability: 0.3}\n"
        "  - {name: Won, probability: 1, closed: true, won: true}\n"
    )
    os.utime(path, ns=(0, written))  # the same time as the first version
    assert Stages.read(path).open_names == ["Open"]
