"""Otklik: reengineering package."""
