"""Shape inference through MLP, CNN and LSTM stacks, and the row that causes a mismatch."""
from app.project.shapes import format_shape, infer_shapes
from app.project.specs import LayerSpec as L


def shapes(rows):
    return [row.output_shape for row in rows]


def test_mlp_shapes_and_inferred_sizes():
    rows = infer_shapes([L("Linear", {"out_features": 8}), L("Tanh"),
                         L("Linear", {"out_features": 3, "bias": False})], (2,))
    assert shapes(rows) == [(8,), (8,), (3,)]
    assert rows[0].constructor == dict(in_features=2, out_features=8, bias=True)
    assert rows[2].param_shapes == {"weight": (3, 8)}
    assert rows[0].parameter_count == 8 * 2 + 8
    assert all(row.status == "ok" for row in rows)


def test_cnn_shapes_with_padding_stride_and_pooling():
    layers = [L("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}), L("ReLU"),
              L("MaxPool2d", {"kernel_size": 2}), L("BatchNorm2d"),
              L("Conv2d", {"out_channels": 4, "kernel_size": 3, "stride": 2}),
              L("MaxPool2d", {"kernel_size": 2, "stride": 1}), L("Flatten"),
              L("Linear", {"out_features": 10})]
    rows = infer_shapes(layers, (1, 16, 16))
    assert shapes(rows) == [(8, 16, 16), (8, 16, 16), (8, 8, 8), (8, 8, 8), (4, 3, 3),
                            (4, 2, 2), (16,), (10,)]
    assert rows[4].param_shapes == {"weight": (4, 8, 3, 3), "bias": (4,)}
    assert rows[3].constructor == {"num_features": 8}


def test_lstm_stack_with_embedding():
    layers = [L("Embedding", {"num_embeddings": 10, "embedding_dim": 6}),
              L("LSTM", {"hidden_size": 5, "return": "sequence"}), L("LayerNorm"),
              L("LSTM", {"hidden_size": 4}), L("Linear", {"out_features": 3})]
    rows = infer_shapes(layers, (7,), integer_input=True, vocab_size=10)
    assert shapes(rows) == [(7, 6), (7, 5), (7, 5), (4,), (3,)]
    assert rows[1].param_shapes == {"weight_ih_l0": (20, 6), "weight_hh_l0": (20, 5),
                                    "bias_ih_l0": (20,), "bias_hh_l0": (20,)}
    assert rows[1].constructor == dict(input_size=6, hidden_size=5, return_sequence=True)
    assert rows[3].constructor == dict(input_size=5, hidden_size=4, return_sequence=False)


def test_row_causing_a_mismatch_and_rows_after_it():
    layers = [L("Conv2d", {"out_channels": 8, "kernel_size": 5}), L("MaxPool2d", {"kernel_size": 3}),
              L("Conv2d", {"out_channels": 8, "kernel_size": 7}), L("Flatten"),
              L("Linear", {"out_features": 2})]
    rows = infer_shapes(layers, (1, 16, 16))
    assert [row.status for row in rows] == ["ok", "ok", "error", "not inferred", "not inferred"]
    assert rows[2].error == "layer 2 (Conv2d): kernel_size 7 does not fit input (8, 4, 4)"
    assert rows[2].input_shape == (8, 4, 4)
    assert rows[3].input_shape is None and rows[3].error is None


def test_layer_needing_another_rank_names_what_it_expects():
    rows = infer_shapes([L("Linear", {"out_features": 4}), L("LSTM", {"hidden_size": 3})], (2,))
    assert rows[1].error == "layer 1 (LSTM): expects input a sequence (steps, features), got (4,)"
    rows = infer_shapes([L("Conv2d")], (2,))
    assert rows[0].error == "layer 0 (Conv2d): expects input (channels, height, width), got (2,)"


def test_embedding_needs_token_ids_and_a_large_enough_table():
    rows = infer_shapes([L("Embedding", {"num_embeddings": 4})], (5,), integer_input=True,
                        vocab_size=9)
    assert "num_embeddings 4 is smaller than the data's vocabulary (token ids 0..8)" in rows[0].error
    rows = infer_shapes([L("Linear", {"out_features": 4}), L("Embedding")], (5,),
                        integer_input=True, vocab_size=3)
    assert rows[1].error.startswith("layer 1 (Embedding): expects integer token ids")


def test_padding_is_named_when_the_kernel_does_not_fit():
    rows = infer_shapes([L("Conv2d", {"kernel_size": 9, "padding": 1})], (3, 6, 6))
    assert rows[0].error == "layer 0 (Conv2d): kernel_size 9 does not fit input (3, 6, 6) with padding 1"


def test_softmax_axis_and_parameter_errors_stop_inference():
    rows = infer_shapes([L("Softmax", {"dim": 0}), L("ReLU")], (3,))
    assert "batch axis" in rows[0].error and rows[1].status == "not inferred"
    rows = infer_shapes([L("Softmax", {"dim": 2})], (3,))
    assert rows[0].error == "layer 0 (Softmax): dim 2 is out of range for (N, 3) (2 axes)"
    rows = infer_shapes([L("Linear", {"out_features": 0})], (3,))
    assert rows[0].error == "layer 0 (Linear): out_features must be a positive integer, got 0"


def test_parameter_limit():
    rows = infer_shapes([L("Linear", {"out_features": 4096})], (10_000,))
    assert "parameters for input (10000,); the limit is" in rows[0].error


def test_format_shape_shows_the_batch():
    assert format_shape((8, 4, 4)) == "(N, 8, 4, 4)"
    assert format_shape(()) == "(N)"
