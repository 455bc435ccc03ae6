"""Our components for Rasa's extension points (imported by the Rasa server, Python 3.10).

Rasa imports this package to load our components, policies and tracker store, so a fix to
Rasa's own code that every turn needs is installed here, once per process (the action-reply
check; no in-memory fallback when the tracker store fails). The service env
(no Rasa) imports only the pure modules (calibration, vector_model) and skips it.
"""

import importlib.util

if importlib.util.find_spec("rasa") is not None:
    from rasa_extensions import action_reply_check, tracker_store_failures

    action_reply_check.install()
    tracker_store_failures.install()  # a turn fails rather than lose the tracker
