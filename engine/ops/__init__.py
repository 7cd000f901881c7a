"""Engine ops, one module per family. Each op is a Function subclass with its forward and
backward side by side, plus a lowercase functional wrapper."""
