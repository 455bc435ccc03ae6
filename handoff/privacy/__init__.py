"""handoff/privacy"""
