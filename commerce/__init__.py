"""The shop, seen from the assistant: orders, the policy that decides what the assistant may do
with them, and the connectors that reach a shop's API."""
