"""Otklik: jobs package."""
