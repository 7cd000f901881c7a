"""Where a paused worker is in the user's script: the line of the innermost script frame on the
debugger thread's stack. While the worker is blocked in the observer (a stop at a forward op)
its frames do not move, so the UI thread may read them; the line is the one that ran the op."""
import sys
import threading

from app.project.script_model import SCRIPT_FILENAME


def script_line_of_thread(thread_name):
    """The line (1-based) of the innermost frame of the script (SCRIPT_FILENAME) on the stack
    of the live thread named `thread_name`, or None (no such thread, or not in the script)."""
    idents = [t.ident for t in threading.enumerate() if t.name == thread_name]
    frames = sys._current_frames()
    for ident in idents:
        frame = frames.get(ident)
        while frame is not None:
            if frame.f_code.co_filename == SCRIPT_FILENAME:
                return frame.f_lineno
            frame = frame.f_back
    return None


def paused_script_line(debugger, state):
    """The script line a debugger paused at a forward op is on, else None."""
    if debugger is None or state is None or state.status != "paused":
        return None
    if state.phase != "forward":
        return None
    return script_line_of_thread(debugger.thread_name)
