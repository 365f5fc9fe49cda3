"""Composition root: the only package that knows both the application and the adapters."""
