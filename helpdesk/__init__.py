"""Help-desk sync: every ticket change goes out to the help desks a team already uses (Zendesk,
Chatwoot) and to signed webhooks, at least once, through a Redis Stream consumer group.

The pure core: `events` (a ticket write -> help-desk events), `notes` (the text an agent reads),
`signing` (HMAC-SHA256 webhook signatures), `zendesk`, `chatwoot` and `webhook` (each target's
requests), `config` (the targets in routing.yml, the delivery settings). The Redis and HTTP
edges: `enqueue` (inside the ticket write's MULTI), `sending` (one event to one target),
`delivery` (the consumer group: retries, back-off, dead letters), `dead_letters` (list and
replay), `worker` (what the service runs); `python -m helpdesk` is the command line. Keys:
`keys`. The why: docs/helpdesk.md.
"""
