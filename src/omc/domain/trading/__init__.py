"""Trading books: fills, the lot engine (FIFO, LIFO, average cost), metrics and history.

Pure: no I/O. Marks (prices) come in as a callable or a mapping from the caller.
"""
