"""Otklik: handlers package."""
