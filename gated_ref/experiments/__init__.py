"""The LSTM vs GRU experiment suite: tasks, runs, the protocol grid, statistics and the record.

``make experiments`` runs the grid (``python -m gated_ref.experiments``) and writes the
committed record ``data/experiments.json``; the site reads only that record.
"""
