"""handoff/routing"""
