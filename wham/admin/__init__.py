"""Program administration: accounts, invite codes, the audit log."""
