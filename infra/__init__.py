"""The edges every process shares, with no knowledge of the product: settings from the
environment (env.py), YAML config files and their checks (yaml_config.py, config_checks.py),
the clock (clock.py), Redis connections, their one error guard and the shared lock
(redis_client.py), JSON text guards for untrusted input (json_text.py), JSON error answers
(http_errors.py), JSON log lines with their masking filter (log_format.py), the health checks'
answers (health.py) and the runner of the aiohttp processes (runner.py). service/, gateway/,
knowledge_base/ and handoff/ import it; it imports none of them (import-linter checks)."""
