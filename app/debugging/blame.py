"""Who made the first non-finite gradient of an iteration.

Backward events show a node's gradient before it flows on, so the first non-finite gradient
is seen at the node that RECEIVES it; the op to blame is a consumer of that node (or of that
parameter) whose backward turned a finite incoming gradient into a non-finite one: for
`y = sqrt(a * b)` with a * b == 0, the gradient of `a * b` is infinite because of sqrt's
backward, and sqrt is named, not mul. Every gradient before this one was finite (the
non-finite breakpoint checks each), so each consumer backward had reached got a finite
incoming gradient; when several consumers are candidates, all of them are listed.
"""
from app.debugging.statistics import stats_dict, summarize


def blame_backward(nodes, receiver, grads, value_of):
    """(blamed key, message, details) for the first non-finite gradient, found reaching
    `receiver` (a node key or a parameter name).

    `nodes` are the iteration's GraphNodes, `grads` the gradients seen so far by key,
    `value_of(source)` the value of a source (node key, parameter name, "input", "target")
    or None. `details` holds the blamed op's "inputs" (key, shape and statistics of each)
    and "incoming" (the statistics of the gradient its backward received)."""
    consumers = [n for n in nodes if receiver in n.inputs and n.key in grads]
    if not consumers:
        return receiver, f"first non-finite gradient: {receiver}", {}
    blamed = consumers[-1]  # backward reaches the last consumer in forward order first
    others = [n.key for n in consumers[:-1]]
    message = (f"first non-finite gradient: the backward of {blamed.key} ({blamed.op}) turned a "
               f"finite incoming gradient into a non-finite gradient of {receiver}")
    if others:
        message += f" (or the backward of {', '.join(others)})"
    rows = []
    for source in blamed.inputs:
        value = value_of(source)
        if value is None:
            continue
        row = stats_dict(summarize([value])[0])
        rows.append(dict(key=source, shape=tuple(value.shape), **row))
    details = {"inputs": rows, "incoming": stats_dict(summarize([grads[blamed.key]])[0]),
               "receiver": receiver}
    return blamed.key, message, details
