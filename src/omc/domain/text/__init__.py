"""Text rules for collected posts and announcements: sentiment, tickers, classification.

Pure functions over strings; no I/O. Word boundaries everywhere: a keyword or a coin
name only counts as a whole word, never as a piece of a longer one.
"""
