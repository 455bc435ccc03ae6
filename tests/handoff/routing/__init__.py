"""Tests of handoff/routing/."""
