"""Verifying outputs: independent Python implementations of the benchmark programs
(``references``), and the expected output of a cell with the check every sample goes through
(``expected``)."""
