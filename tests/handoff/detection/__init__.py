"""Tests of handoff/detection/."""
