"""Edits of a project while it trains, as TensorFlow Playground allows: optimizer settings
(learning rate, momentum, betas, weight decay), breakpoints, name and description change the
running run in place; anything else (a layer, the dataset, the loss, the optimizer type, the
batch size, the seed, the device, the mode) needs a rebuild, which resets training."""
import copy

LIVE_TRAIN_FIELDS = ("lr", "momentum", "betas", "weight_decay")
LIVE_PROJECT_FIELDS = ("name", "description", "breakpoints")


def edit_kind(before, after):
    """"same", "live" (applied to the running optimizer and debugger) or "rebuild"."""
    if before is None or after is None:
        return "rebuild"
    if after == before:
        return "same"
    probe = copy.copy(after)
    probe.train = copy.copy(after.train)
    for name in LIVE_TRAIN_FIELDS:
        setattr(probe.train, name, getattr(before.train, name))
    for name in LIVE_PROJECT_FIELDS:
        setattr(probe, name, getattr(before, name))
    return "live" if probe == before else "rebuild"


def apply_to_optimizer(optimizer, train):
    """Set the optimizer settings of TrainConfig `train` on a built optimizer, keeping its
    state (momentum buffers, Adam moments, step count)."""
    optimizer.lr = train.lr
    optimizer.defaults["lr"] = train.lr
    settings = {"weight_decay": train.weight_decay}
    if "momentum" in optimizer.defaults:
        settings["momentum"] = train.momentum
    if "betas" in optimizer.defaults:
        settings["betas"] = tuple(train.betas)
    for name, value in settings.items():
        setattr(optimizer, name, value)
        optimizer.defaults[name] = value
