"""What the worker reports and the UI timer's drain (the pump half of app.session.Session):
the debugger's callbacks (worker thread) queue losses, test accuracies and hits under a lock;
`pump()` (UI thread, ~30 Hz) moves them and the drained records into the session and tells
subscribers what changed."""
import time

import numpy as np

import engine as sg

from app.debugging.statistics import stats_dict

ACCURACY_EVERY = 10  # iterations between two test-accuracy evaluations
HISTORY_EVERY_S = 0.25  # while running, the recorded iterations are announced at most this often


def accuracy_on_test_split(built, loss_name):
    """Accuracy of the model on the test split (classification losses), else None."""
    test = built.test_set
    if loss_name not in ("CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss") or not len(test):
        return None
    model = built.model
    was_training = model.training
    model.eval()
    try:
        with sg.no_grad():
            out = model(sg.tensor(test.X, device=built.device)).numpy()
    finally:
        model.train(was_training)
    y = np.asarray(test.y)
    if loss_name == "CrossEntropyLoss":
        predicted = out.argmax(axis=-1)
    else:
        predicted = (out > (0.0 if loss_name == "BCEWithLogitsLoss" else 0.5)).astype(y.dtype)
    if predicted.size != y.size:
        return None
    return float(np.mean(predicted.reshape(y.shape) == y))


class SessionPump:
    """The pump of the Session (a mixin over the Session's state and worker queues)."""

    # ---- what the worker reports (worker thread): kept whatever the generation ---------------
    def _on_stop(self, hit):
        now = time.perf_counter()
        with self._worker_lock:
            self._worker_hits.append(hit)
            if self._sent_at is not None:
                self.seconds_per_step, self._sent_at = now - self._sent_at, None

    def _on_iteration(self, iteration, loss):
        now = time.perf_counter()
        built, loss_name = self.built, self.project.train.loss
        accuracy = None
        if iteration % ACCURACY_EVERY == 0 and built is not None:
            accuracy = accuracy_on_test_split(built, loss_name)
        with self._worker_lock:
            self._finish_times.append(now)
            self._worker_losses.append((iteration, loss))
            if accuracy is not None:
                self._worker_accuracies.append((iteration, accuracy))
        time.sleep(0)  # hand the GIL to the UI thread if it waits: one per iteration

    # ---- the UI timer ----------------------------------------------------------------------
    def pump(self):
        """Install a build that has ended, drain the debugger's records into the session
        and notify; returns the changes."""
        changes = self._settle_build()
        if self.debugger is None:
            self._notify(changes)
            return changes
        for record in self.debugger.drain():
            changes |= self._apply(record)
        with self._worker_lock:
            stopped = bool(self._worker_hits)
            for pending, into, change in ((self._worker_losses, self.losses, "curves"),
                                          (self._worker_accuracies, self.accuracies, "curves"),
                                          (self._worker_hits, self.hits, "hits")):
                if pending:
                    into += pending
                    pending.clear()
                    changes.add(change)
            times = list(self._finish_times)
        if stopped:
            self._end_run_to()  # any stop ends a run to an iteration
        if len(times) > 1:
            self.seconds_per_iteration = (times[-1] - times[0]) / (len(times) - 1)
        state = self.debugger.state()
        if state != self.state:
            if self.state is None or state.graph != self.state.graph:
                self.graph = state.graph
                changes.add("graph")
            self.state = state
            changes.add("state")
        if changes & {"curves", "state"}:
            now = time.perf_counter()
            running = self.state is not None and self.state.status == "running"
            if not running or now - self._history_at >= HISTORY_EVERY_S:
                self._history_at = now
                changes.add("history")
        self._notify(changes)
        return changes

    def _apply(self, record):
        data = record.data
        if record.kind in ("value", "grad"):
            kind = record.kind
            self.latest_stats[kind] = (data["keys"], data["stats"])
            for key, row in zip(data["keys"], data["stats"]):
                self.stats.setdefault(key, {})[kind] = stats_dict(row)
            return {"stats"}
        if record.kind == "graph":
            self.graph = data["nodes"]
            return {"graph"}
        return set()
