"""Otklik: bot package."""
