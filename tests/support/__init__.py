"""Helpers the tests share: a throwaway Redis, tracker and ticket builders, Redis dumps."""
