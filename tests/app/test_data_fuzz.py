"""Fuzzing the data loaders through a project (tests/app/data_mutations.py): good and broken
CSV, NPZ and IDX files, gzip and zip bombs, lying headers. Each case loads, builds and trains
a few steps, or is refused with a clear error; never another exception."""
import random
import warnings

import pytest

from .data_mutations import data_case, run_data_case

CASES = 60


@pytest.mark.parametrize("seed", range(3))
def test_data_files_train_or_are_refused_with_a_message(tmp_path, seed):
    rng = random.Random(seed)
    outcomes = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(CASES // 3):
            label, project = data_case(rng, tmp_path)
            outcome, message = run_data_case(project, tmp_path)
            assert outcome != "crash", (label, message)
            outcomes.append(outcome)
    assert "error" in outcomes
