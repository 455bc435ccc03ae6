"""The edges every process shares, with no knowledge of the product: reading settings from the
environment, YAML config files, the clock, Redis connections and their error guard, and the
runner of the aiohttp processes. service/, gateway/, knowledge_base/ and handoff/ import it;
it imports none of them."""
