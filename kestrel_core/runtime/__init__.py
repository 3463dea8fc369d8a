"""Predicate runtimes: the protocol every runtime implements, and the built-in Python runtime."""
