"""The main window and the controllers it owns (Qt)."""
