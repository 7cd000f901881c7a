"""The debuggers (dynamic and static), breakpoints, stepping, history and node keys: engine + threads, no Qt."""
