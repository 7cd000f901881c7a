"""The LSTM row's module, in the engine and (as source) in the exported PyTorch script."""
from engine import nn


class SequenceLSTM(nn.LSTM):
    """nn.LSTM as one row of a stack: returns a single tensor, every step's hidden state
    (N, T, H) or the last one (N, H), instead of (output, (h, c))."""

    def __init__(self, input_size, hidden_size, return_sequence=False):
        super().__init__(input_size, hidden_size, batch_first=True)
        self.return_sequence = return_sequence

    def forward(self, x):
        output, _ = super().forward(x)
        return output if self.return_sequence else output[:, -1]


TORCH_SOURCE = '''

class SequenceLSTM(nn.LSTM):
    """nn.LSTM as one layer of a stack: returns every step's hidden state (N, T, H) or the
    last one (N, H), instead of (output, (h, c))."""

    def __init__(self, input_size, hidden_size, return_sequence=False):
        super().__init__(input_size, hidden_size, batch_first=True)
        self.return_sequence = return_sequence

    def forward(self, x):
        output, _ = super().forward(x)
        return output if self.return_sequence else output[:, -1]
'''
