"""handoff/detection"""
