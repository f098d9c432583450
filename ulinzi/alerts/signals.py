"""What the alert network tells other parts of Ulinzi (sent inside the transaction of
the change, so a receiver's writes commit or roll back with it)."""

from django.dispatch import Signal

# Sent by close_alert with ``alert`` (closed, with its outcome) and ``actor``.
alert_closed = Signal()
