"""Static-graph compile mode (filled by the static-mode issue)."""
