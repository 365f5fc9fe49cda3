"""Pure domain: records of the four ledgers and their rules. No I/O, no frameworks."""
