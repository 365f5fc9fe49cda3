"""OMC (Oh My Coins): crypto market intelligence ledgers and trading books."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("omc")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
