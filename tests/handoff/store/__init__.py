"""Tests of handoff/store/."""
