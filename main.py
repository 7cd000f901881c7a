"""Stepgraph's entry point: `python main.py --help`. The logic is in app/cli.py."""
import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
