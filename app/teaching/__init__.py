"""Lecture tools: narration, dynamic-vs-static comparison, control flow, decision surface, gradient check."""
