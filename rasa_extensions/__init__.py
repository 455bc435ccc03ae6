"""Our components for Rasa's extension points (imported by the Rasa server, Python 3.10)."""
