"""The session's debugging controls (a mixin of app.session.Session, which provides
`project`, `built`, `debugger`, `state`, `graph`, `set_project`, `run`, `_notify` and
`_apply_breakpoints`): live edits of a running project (app/debugging/live_edits.py), Run N
iterations / to an iteration / to the end of the epoch with its progress, and breakpoint hit
counts."""
import copy

from app.debugging.live_edits import apply_to_optimizer, edit_kind
from app.project import validate


class DebuggingControls:
    run_target = None  # (iterations done at the start, to reach) of run_to

    def apply_edit(self, project):
        """Apply an edited project: in place, keeping the run, when only optimizer settings,
        breakpoints, name or description changed ("live"; views hear "config" and
        "breakpoints"), else as set_project ("rebuild": training starts again)."""
        kind = edit_kind(self.project, project)
        if kind == "rebuild" or self.built is None or not validate(project).ok:
            self.set_project(project, keep_path=True)
            return "rebuild"
        if kind == "live":
            self.project = copy.deepcopy(project)
            self.report = validate(self.project)
            optimizer, train = self.built.optimizer, self.project.train
            try:
                self.debugger.between_updates(lambda: apply_to_optimizer(optimizer, train))
            except TimeoutError:  # an iteration longer than the wait: set between two reads
                apply_to_optimizer(optimizer, train)
            self._apply_breakpoints()
            self._notify({"config", "breakpoints"})
        return kind

    def needs_rebuild(self, project):
        """Whether applying `project` resets training (see apply_edit)."""
        return edit_kind(self.project, project) == "rebuild"

    def run_to(self, completed):
        """Run until `completed` iterations are done (the stop is where the next begins) or
        something stops it first; `run_progress()` says how far it is."""
        done = self.state.completed if self.state is not None else 0
        if completed <= done:
            raise ValueError(f"cannot run to iteration {completed}: {done} are done already")
        self.run_target = (done, completed)
        self._apply_breakpoints()
        self.run()
        self._notify({"progress"})

    def run_iterations(self, n):
        """Run `n` more iterations (see run_to)."""
        if n < 1:
            raise ValueError(f"run N iterations: N must be >= 1, got {n}")
        self.run_to((self.state.completed if self.state is not None else 0) + n)

    def run_to_epoch_end(self):
        """Run to the end of the current epoch (one pass over the training batches)."""
        per_epoch = max(1, len(self.built.data)) if self.built is not None else 1
        done = self.state.completed if self.state is not None else 0
        self.run_to((done // per_epoch + 1) * per_epoch)

    def run_progress(self):
        """(iterations done, of how many) of the run started by run_to, or None; views hear
        "progress" when one starts or ends, "state" as it goes."""
        if not self.run_target or self.state is None:
            return None
        start, end = self.run_target
        return min(self.state.completed, end) - start, end - start

    def _end_run_to(self):
        """Any stop ends a run to an iteration (its breakpoint goes)."""
        if self.run_target:
            self.run_target = None
            self._apply_breakpoints()
            self._notify({"progress"})

    def hit_counts(self):
        """How often each breakpoint's condition held: {BreakpointSpec index: n} for the
        project's, {target: n} for those toggled with F9."""
        counts = self.debugger.hit_counts() if self.debugger is not None else {}
        return {(k if isinstance(k, int) else k.target): n for k, n in counts.items()}
