"""Otklik: analytics package (the rollup, indexes, decline scan, reports and charts)."""
