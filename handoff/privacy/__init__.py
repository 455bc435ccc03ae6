"""Privacy at the edges every process shares: masking card numbers, IBANs, security codes and
passwords before text is kept (redact.py), and checking the customer identity the company's
backend signed (identity.py). Pure and standard library only."""
