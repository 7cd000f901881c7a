"""Error messages users can hit: they name the op, the layer (scope) and the shapes/devices."""
import re

import numpy as np
import pytest

import engine as sg
import engine.autograd as autograd
import engine.nn.functional as F
from engine import nn


def test_matmul_message_names_the_shapes_and_inner_sizes():
    with pytest.raises(sg.ShapeError) as err:
        sg.randn(32, 16) @ sg.randn(8, 4)
    assert str(err.value) == "matmul: cannot multiply (32, 16) by (8, 4): inner sizes 16 and 8 differ"


def test_matmul_message_names_the_scope():
    with sg.scope("2"), pytest.raises(sg.ShapeError) as err:
        sg.matmul(sg.randn(32, 16), sg.randn(8, 4))
    assert str(err.value) == ("matmul in '2': cannot multiply (32, 16) by (8, 4): "
                              "inner sizes 16 and 8 differ")


def test_matmul_batch_dims_that_do_not_broadcast():
    with pytest.raises(sg.ShapeError, match=re.escape("(2, 3, 4) and (5, 4, 2)")):
        sg.randn(2, 3, 4) @ sg.randn(5, 4, 2)


def test_shape_error_is_a_value_error():
    with pytest.raises(ValueError):
        sg.randn(2, 3) @ sg.randn(2, 3)


def test_linear_layer_in_a_model_names_its_path_and_feature_counts():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 2))
    with pytest.raises(sg.ShapeError) as err:
        model(sg.randn(2, 3))
    message = str(err.value)
    assert message.startswith("linear in '2': ")
    assert "(2, 4)" in message and "input has 4 features, the layer expects 5" in message


def test_functional_linear_message():
    with pytest.raises(sg.ShapeError, match=re.escape(
            "linear: cannot multiply (4, 3) by weight.T (2, 5): input has 3 features, "
            "the layer expects 2")):
        F.linear(sg.randn(4, 3), sg.randn(5, 2))


@pytest.mark.parametrize("x,w,expected", [
    ((1, 3, 8, 8), (4, 2, 3, 3), "conv2d: input (1, 3, 8, 8) has 3 channels, the weight (4, 2, 3, 3) expects 2"),
    ((3, 8, 8), (4, 3, 3, 3), "conv2d: expected input (N, C, H, W), got (3, 8, 8)"),
    ((1, 3, 2, 2), (4, 3, 3, 3), "conv2d: kernel (3, 3) with stride 1 and padding 0 does not fit input (1, 3, 2, 2)"),
])
def test_conv2d_messages(x, w, expected):
    with pytest.raises(sg.ShapeError, match="^" + re.escape(expected)):
        F.conv2d(sg.randn(*x), sg.randn(*w))


def test_conv_layer_message_names_its_path():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(3, 2, 3))
    with pytest.raises(sg.ShapeError, match=r"^conv2d in '2': input \(2, 4, 6, 6\) has 4 channels"):
        model(sg.randn(2, 1, 8, 8))


def test_cross_entropy_messages():
    with pytest.raises(sg.ShapeError, match=re.escape(
            "cross_entropy: logits (4, 3) (N, classes) do not fit targets (3,)")):
        F.cross_entropy(sg.randn(4, 3), sg.tensor([0, 1, 2]))
    with pytest.raises(sg.ShapeError, match=re.escape(
            "cross_entropy: target 3 is out of range for 3 classes (logits (4, 3), targets (4,))")):
        F.cross_entropy(sg.randn(4, 3), sg.tensor([0, 1, 2, 3]))
    with pytest.raises(sg.ShapeError, match="target -1 is out of range"):
        F.cross_entropy(sg.randn(2, 3), sg.tensor([0, -1]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(sg.randn(4, 3), sg.tensor([0, 1, 2, 0]), reduction="avg")


def test_reshape_cat_stack_and_broadcast_messages():
    with pytest.raises(sg.ShapeError, match=re.escape("reshape: cannot reshape (2, 3) (size 6) into (4, 2)")):
        sg.randn(2, 3).reshape(4, 2)
    with pytest.raises(sg.ShapeError, match=re.escape("cat: tensors must match in every dim but 0, got [(2, 3), (2, 4)]")):
        sg.cat([sg.randn(2, 3), sg.randn(2, 4)], 0)
    with pytest.raises(sg.ShapeError, match=re.escape("stack: tensors must all have one shape, got [(2, 3), (2, 4)]")):
        sg.stack([sg.randn(2, 3), sg.randn(2, 4)])
    with pytest.raises(sg.ShapeError, match=r"^add: .*\(2, 3\), \(4,\)"):
        sg.randn(2, 3) + sg.randn(4)
    with pytest.raises(sg.ShapeError, match=re.escape("mse_loss: input (2, 3) and target (3, 2)")):
        F.mse_loss(sg.randn(2, 3), sg.randn(3, 2))


def test_a_failed_op_records_no_node():
    class Recorder(sg.Observer):
        ops = []

        def on_forward(self, node):
            self.ops.append(node.op)

    with sg.observe(Recorder()) as rec, pytest.raises(sg.ShapeError):
        sg.randn(2, 3, requires_grad=True) @ sg.randn(2, 3)
    assert rec.ops == []


@pytest.mark.skipif(sg.cuda_available(), reason="CUDA is available here")
def test_to_cuda_without_cuda_says_why():
    with pytest.raises(sg.DeviceError, match=r"device 'cuda' is unavailable: \S"):
        sg.randn(2).to("cuda")
    with pytest.raises(sg.DeviceError, match="unavailable"):
        nn.Linear(2, 2).to("cuda")


def test_unknown_device_is_named():
    with pytest.raises(sg.DeviceError, match="unknown device 'tpu'"):
        sg.randn(2).to("tpu")


def test_device_mismatch_message_names_both_devices(monkeypatch):
    """The message builder, with one array pretending to live on the GPU (the real mix is
    tested in test_gpu.py)."""
    a, b = sg.randn(2, 3), sg.randn(4, 5)
    monkeypatch.setattr(autograd, "device_of", lambda arr: "cuda" if arr is b.array else "cpu")
    with sg.scope("fc"), pytest.raises(sg.DeviceError) as err:
        a @ b
    message = str(err.value)
    assert message.startswith("matmul in 'fc': inputs are on different devices")
    assert "(2, 3) on cpu" in message and "(4, 5) on cuda" in message and ".to(device)" in message


def test_backward_twice_message_names_the_op():
    x = sg.randn(3, requires_grad=True)
    with sg.scope("head"):
        loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"backward through sum in 'head' a second time.*retain_graph=True"):
        loss.backward()


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="int64"):
        sg.tensor(np.arange(3), requires_grad=True)
