"""Otklik: storage package."""
