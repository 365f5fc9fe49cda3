"""Test helpers shared by the suites (real classes, no mocks)."""
