"""CRM side of Helpline: caller lookup, entitlements, screen pop, cases and activity logs."""
