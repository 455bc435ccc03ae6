"""Tests of handoff/ticket/."""
