"""Buying credits: the pack catalogue, checkout through a payment provider, webhooks."""
