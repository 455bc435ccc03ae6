"""Where a ticket goes and how fast: routing rules and their config (routing.yml), business
hours, SLA arithmetic, incidents (many customers with one problem), agent assignment and the
agents file (agents.yml). Pure: the service's desk calls it with what it read from Redis."""
