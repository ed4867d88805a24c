"""Writes of open data, each one durable transaction with the acting user as a keyword and an
audit row (core.transactions.service): datasets and resources (datasets.py), reports and
their handling (reports.py), reuse statistics (stats.py)."""
