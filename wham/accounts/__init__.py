"""Accounts: people, roles, signing in, profiles and passwords."""
