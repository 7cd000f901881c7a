"""The 2-D sets are learnable through the DataLoader: labels agree with the inputs."""
import numpy as np
import pytest

import engine as sg
import engine.nn.functional as F
from engine import data, nn, optim


@pytest.mark.parametrize("name", ["xor", "circles", "moons", "gaussians"])
def test_small_mlp_fits_a_2d_set(name):
    sg.manual_seed(0)
    train = data.get_dataset(name, n=200, seed=0)
    test = data.get_dataset(name, n=200, seed=1)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    opt = optim.Adam(model.parameters(), lr=0.03)
    loader = data.DataLoader(train, batch_size=32, shuffle=True, seed=0)
    for _ in range(40):
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with sg.no_grad():
        predicted = model(sg.tensor(test.X)).numpy().argmax(1)
    assert np.mean(predicted == test.y) >= 0.9
