"""Otklik: sandbox package."""
