"""Qt widgets of the Stepgraph window; they read app.session and send intents back."""
import sys

if sys.version_info < (3, 12):
    # PySide6 6.12 (built for immortal None, Python >= 3.12) returns None from every void
    # method without taking a reference: on 3.11 each call drops None's count by one and a few
    # thousand calls abort with "none_dealloc". Give None references to spare when it leaks.
    import ctypes

    from PySide6.QtCore import QPointF

    _point, _before = QPointF(), sys.getrefcount(None)
    for _ in range(8):
        _point.setX(1.0)
    if sys.getrefcount(None) < _before:
        ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40
    del _point, _before
