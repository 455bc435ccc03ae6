"""Tests of content/."""
