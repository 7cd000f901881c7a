"""Stepgraph's entry point: `python main.py --help`. The logic is in widgets/cli.py."""
import sys

from widgets.cli import main

if __name__ == "__main__":
    sys.exit(main())
