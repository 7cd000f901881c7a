"""Importing the engine makes malloc keep freed arrays' memory for the next op
(engine/allocator.py), checked in a fresh process: malloc's state is per process."""
import os
import subprocess
import sys

import pytest

from engine.allocator import keep_freed_memory

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

STEPS = """
import resource, sys
import numpy as np
if sys.argv[1] == "engine":
    import engine

def step():  # eight live 1 MB outputs, freed together as a step's activations are
    held = [np.ones((256, 1024), np.float32) for _ in range(8)]
    return sum(float(h[0, 0]) for h in held)

step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _page_faults_of_20_steps(*imports):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", STEPS, *imports], env=env, check=True,
                         capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(
                             os.path.dirname(os.path.abspath(__file__)))))
    return int(out.stdout.split()[-1])


def test_after_import_engine_a_step_reuses_the_last_steps_memory_without_page_faults():
    assert _page_faults_of_20_steps("numpy") > 20 * 2048 // 2  # glibc's default: 8 MB again
    assert _page_faults_of_20_steps("engine") < 20 * 2048 // 20


def test_thresholds_the_user_set_are_left_alone(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert not keep_freed_memory()
