"""The Stepgraph application: project model, debugger, session and main window."""
