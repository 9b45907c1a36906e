"""Peer support groups: schedule and sessions, joining with a notice, attendance, wins, 1:1 notes."""
