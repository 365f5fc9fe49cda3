"""Collectors' upstream adapters: one module per public API, all over one httpx client."""
