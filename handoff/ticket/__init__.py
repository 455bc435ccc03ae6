"""handoff/ticket"""
