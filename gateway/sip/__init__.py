"""Helpline sip subsystem."""
