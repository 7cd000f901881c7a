"""benchmarks/gpu.py (issue 21's table) runs on the CPU with small shapes, every row
filled, so that the script the GPU session runs cannot rot where no GPU is; and without
CUDA its default run skips with a message."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "benchmarks"))
import gpu  # noqa: E402

from engine import cuda_available  # noqa: E402


def test_quick_cpu_run_fills_every_row(capsys):
    pytest.importorskip("torch")
    rows = gpu.main(["--device", "cpu", "--quick"])
    names = [r[0] for r in rows]
    assert names[:3] == [c[0] for c in gpu.QUICK]
    assert names[3].startswith("static mode") and names[4].startswith("debugger")
    for row in rows:
        assert len(row) == len(gpu.HEADER) and float(row[1]) >= 0
    for row in rows[:3]:  # the engine beside PyTorch eager; no CUDA graph on a CPU
        assert float(row[2]) >= 0 and float(row[4]) >= 0 and row[3] == "n/a"
    assert "static/dyn" in rows[3][4] and "debug/plain" in rows[4][4]
    out = capsys.readouterr().out
    assert out.splitlines()[1].split()[:3] == ["case", "engine", "ms"]


@pytest.mark.skipif(cuda_available(), reason="a CUDA device answers here")
def test_without_cuda_the_default_run_skips_with_the_reason(capsys):
    assert gpu.main([]) == []
    assert capsys.readouterr().out.startswith("benchmarks/gpu.py skipped: ")
