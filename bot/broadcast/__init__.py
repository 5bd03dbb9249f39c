"""Scheduled tips and announcements: runs, a delivery ledger, rate-limited senders, a lease.

Import the pieces from their modules (``bot.broadcast.service``, ``bot.broadcast.scheduler``);
this package file stays empty so importing one part never pulls in the database or an SDK.
"""
