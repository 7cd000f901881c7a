"""The debuggers (dynamic and static, one interface), breakpoints, stepping, history and its
statistics, node keys: engine + threads, no Qt."""
