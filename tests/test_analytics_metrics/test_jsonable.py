"""Metric values become JSON a report payload can store."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from analytics.metrics.jsonable import to_jsonable


@dataclass
class Figure:
    rate: float
    n: int


def test_it_makes_numpy_values_plain_and_not_a_number_none():
    value = {
        1: np.float64(0.5),
        "n": np.int64(3),
        "flag": np.bool_(True),
        "missing": float("nan"),
        "open": np.inf,
        "na": pd.NA,
        "list": (np.array([1.0, np.nan]), Figure(rate=np.float32(0.25), n=2)),
    }
    plain = to_jsonable(value)
    assert plain == {
        "1": 0.5,
        "n": 3,
        "flag": True,
        "missing": None,
        "open": None,
        "na": None,
        "list": [[1.0, None], {"rate": 0.25, "n": 2}],
    }
    assert json.loads(json.dumps(plain, allow_nan=False)) == plain


def test_it_refuses_what_is_not_a_metric_value():
    with pytest.raises(TypeError, match="object"):
        to_jsonable(object())
