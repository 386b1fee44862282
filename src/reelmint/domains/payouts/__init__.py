"""Payouts: creators and rights holders turn their available earnings into money."""
