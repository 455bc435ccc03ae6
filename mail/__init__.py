"""Email follow-up: the team's replies and the chat transcript go to the customer by email,
and the customer's email reply comes back to the ticket.

The pure core: `settings` (MAIL_*/SMTP_* from the environment), `compose` (the mails, plain
text only), `inbound` (the reply token of an address, the new text of a reply). The edges:
`outbox` (the Redis Stream of mails to send and each mail's delivery state), `sending` (one
mail over SMTP with aiosmtplib, and its failures in plain words), `worker` (the consumer group:
retries, back-off, restart-safe), `receiver` (the SMTP server, aiosmtpd, that takes
replies). Keys: `keys`. `python -m mail send` runs the worker alone.
"""
