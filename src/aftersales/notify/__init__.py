"""Notifications: every party's inbox and signed outgoing webhooks (a transactional outbox)."""
