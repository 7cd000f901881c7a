"""Dead-code elimination: only nodes that a root (a tensor the user holds, an update, a
traced output) depends on stay."""


def dce(graph):
    live = set(graph.roots())
    by_id = {n.id: n for n in graph.nodes}
    stack = [by_id[i] for i in live if i in by_id]
    while stack:
        for i in stack.pop().inputs:
            if i.id not in live:
                live.add(i.id)
                stack.append(i)
    return graph.copy(keep=live)
