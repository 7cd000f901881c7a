"""How backward adds up the gradients a node receives: slices of one tensor add into one
array (GetItem's `scatter`), and sums only this pass holds are added to in place; neither
may change an array that another node, an observer or a hook also holds."""
import numpy as np
import pytest

import engine as sg

ROWS = np.arange(12, dtype=np.float32).reshape(4, 3)


def _leaf(dtype=np.float32):
    return sg.tensor(ROWS.astype(dtype), requires_grad=True)


def test_overlapping_slices_of_a_node_add_up():
    w = _leaf()
    a = w * 1
    loss = a[:3].sum() + (a[1:] * 2).sum() + (a[:, 1] * 3).sum() + a[2, 2] * 4
    loss.backward()
    want = np.zeros((4, 3), np.float32)
    want[:3] += 1
    want[1:] += 2
    want[:, 1] += 3
    want[2, 2] += 4
    np.testing.assert_array_equal(w.grad.numpy(), want)


def test_a_slice_does_not_change_a_gradient_array_another_node_also_received():
    w = _leaf()
    a, b = w * 1, w * 2
    loss = (a + b).sum() + (a[:1] * 5).sum()  # add's backward gives one array to a and to b
    loss.backward()
    want = np.full((4, 3), 3, np.float32)
    want[0] += 5
    np.testing.assert_array_equal(w.grad.numpy(), want)


def test_a_node_used_many_times_sums_its_gradients_and_keeps_each_one():
    w = _leaf()
    a = w * 1
    seen = []

    class Keep(sg.Observer):
        def on_backward(self, node, grad):
            seen.append((node.op, grad.numpy().copy(), grad.numpy()))

    with sg.observe(Keep()):
        ((a * 2 + a * 3 + a * 4).sum() + a[1:].sum()).backward()
    want = np.full((4, 3), 9, np.float32)
    want[1:] += 1
    np.testing.assert_array_equal(w.grad.numpy(), want)
    for op, copied, held in seen:  # what an observer got is never written to afterwards
        np.testing.assert_array_equal(held, copied, err_msg=op)


def test_slice_gradients_keep_the_input_dtype_and_promote_as_a_sum_does():
    w = _leaf()
    a = w * 1
    (a[:2].double() * 3).sum().backward(retain_graph=False)
    assert w.grad.dtype == sg.float32
    np.testing.assert_array_equal(w.grad.numpy()[:2], np.full((2, 3), 3, np.float32))
    w64 = _leaf(np.float64)
    b = w64 * 1
    (b[:2].float().sum() + b[1:].sum()).backward()
    assert w64.grad.dtype == sg.float64
    np.testing.assert_array_equal(w64.grad.numpy()[:, 0], [1, 2, 1, 1])


def test_a_retained_graph_gives_the_same_gradients_again():
    w = _leaf()
    a = w * 1
    loss = (a[:2] * 2).sum() + (a[1:] * 3).sum()
    loss.backward(retain_graph=True)
    first = w.grad.numpy().copy()
    loss.backward()
    np.testing.assert_array_equal(w.grad.numpy(), 2 * first)


@pytest.mark.parametrize("index", [(slice(None), [0, 0, 2]), ([1, 1],), (np.array([True, False, True, False]),)])
def test_advanced_indices_keep_their_own_backward(index):
    w = _leaf()
    a = w * 1
    (a[index] * 2).sum().backward()
    want = np.zeros((4, 3), np.float32)
    np.add.at(want, index if len(index) > 1 else index[0], 2)
    np.testing.assert_array_equal(w.grad.numpy(), want)


def test_hooks_on_a_slice_node_still_see_its_input_gradient():
    w = _leaf()
    a = w * 1
    piece = a[1:3]
    got = []
    piece.creator.register_hook(lambda grad_inputs, grad_outputs: got.append(grad_inputs))
    (piece * 2).sum().backward()
    assert got and got[0][0].shape == (4, 3)
    np.testing.assert_array_equal(w.grad.numpy()[1:3], np.full((2, 3), 2, np.float32))


def test_slices_of_a_node_add_into_one_array_instead_of_a_zeroed_copy_each(monkeypatch):
    from engine.ops.shape import GetItem
    copies = []
    backward = GetItem.backward
    monkeypatch.setattr(GetItem, "backward", lambda self, gy: copies.append(1) or backward(self, gy))
    w = sg.tensor(np.ones((32, 8), np.float32), requires_grad=True)
    a = w * 1
    sum(a[t].sum() * t for t in range(32)).backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], np.arange(32))
    assert not copies
    w[3].sum().backward()  # a leaf's slice: its backward, then .grad
    assert copies == [1]
