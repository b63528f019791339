"""Otklik: surveys package."""
