"""A tiny scheme used only by the core's tests: a shop, its customers and their orders.

It exercises every part of the scheme contract (typed params, recipe body, blocked
randomness, tables with keys, a binary task with a snapshot, an exposure policy with an
omitted table, a redacted column and an as-of column, truth files, checks) in a few
milliseconds, so the core never depends on the real schemes.
"""
