"""Helpline ivr subsystem."""
