"""What the alert network tells other parts of Ulinzi (sent inside the transaction of
the change, so a receiver's writes commit or roll back with it)."""

from django.dispatch import Signal

# Sent by close_alert with ``alert`` (closed, with its outcome) and ``actor``.
alert_closed = Signal()

# Sent by handle_inbound for an SMS in the patrol keyword form ("DORIA <place> <what>"),
# with ``message``, ``place`` (the text naming it, or None), ``what`` and ``language`` (the
# keyword's language, else the reporter's).
patrol_keyword = Signal()

# Sent by handle_inbound for an SMS that is only "OK" (or its equivalent), with
# ``reporter``: the answer to a test message.
ok_reply = Signal()

# Sent by handle_inbound for an information keyword alone (INFO, MANDAT, HABARI), with
# ``message``, ``keyword`` and ``language``.
info_keyword = Signal()
