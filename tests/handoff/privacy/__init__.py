"""Tests of handoff/privacy/."""
