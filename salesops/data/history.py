"""The stage history in deal order: each deal's rows together, oldest first.

Pipeline metrics rebuild past states from ``opportunity_history`` by taking each deal's
last row before a moment. They need the rows in deal order, which the loader makes once;
these functions keep that order cheap to check and to reuse.
"""

from __future__ import annotations

import weakref

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_ORDERED: dict[int, weakref.ref] = {}  # frames known to be in deal order, by id


def by_deal(history: pd.DataFrame) -> pd.DataFrame:
    """Stage history ordered by deal, then time; returned as is when already in that order.

    The loader orders history once and every frame this returns is remembered (weakly,
    by identity), so most calls pay nothing; others pay a linear check in Arrow.
    """
    known = _ORDERED.get(id(history))
    if known is not None and known() is history:
        return history
    if len(history) >= 2:
        ids = pa.array(history["opportunity_id"].astype("str"), from_pandas=True)
        times = history["changed_at"].to_numpy()
        id_up = pc.less_equal(ids[:-1], ids[1:]).to_numpy(zero_copy_only=False)
        same = pc.equal(ids[:-1], ids[1:]).to_numpy(zero_copy_only=False)
        if not (id_up.all() and (times[1:][same] >= times[:-1][same]).all()):
            keys = pa.table({"id": ids, "at": pa.array(times)})
            order = pc.sort_indices(keys, sort_keys=[("id", "ascending"), ("at", "ascending")])
            history = history.take(order.to_numpy())
    return _remember(history)


def _remember(history: pd.DataFrame) -> pd.DataFrame:
    for key in [k for k, ref in _ORDERED.items() if ref() is None]:
        del _ORDERED[key]
    _ORDERED[id(history)] = weakref.ref(history)
    return history


def changes_before(history: pd.DataFrame, moment: pd.Timestamp) -> pd.DataFrame:
    """The history rows changed before ``moment``, in :func:`by_deal` order (the ordered
    frame itself when no row is later, which is the common case)."""
    h = by_deal(history)
    keep = h["changed_at"] < moment
    return h if keep.all() else _remember(h[keep])


def last_per_deal(history: pd.DataFrame, where: pd.Series | None = None) -> pd.Series:
    """Mask of each deal's last row in history ordered by :func:`by_deal`.

    With ``where``, a mask that holds on a leading run of each deal's rows (such as
    ``changed_at < t``), the mask of each deal's last row where it holds.
    """
    ids = history["opportunity_id"]
    last = ids.ne(ids.shift(-1))
    return last if where is None else where & (last | ~where.shift(-1, fill_value=False))
