"""The handoff ticket an agent reads: its typed model and published JSON Schema (schema/),
built from a masked Rasa tracker (builder.py) with the transcript, the extracted context, the
articles tried and a ten-second summary of what the customer needs and why it escalated. Pure."""
