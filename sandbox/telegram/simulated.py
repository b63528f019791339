"""Simulated people on the Telegram stand-in: :mod:`sandbox.simulated`, which serves both."""

from sandbox.simulated import SimulatedUser

__all__ = ["SimulatedUser"]
