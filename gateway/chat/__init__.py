"""Helpline chat subsystem."""
