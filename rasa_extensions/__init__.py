"""Our components for Rasa's extension points (imported by the Rasa server, Python 3.10).

Rasa imports this package to load our components, policies and tracker store, so a fix to
Rasa's own code that every turn needs is installed here, once per process. The service env
(no Rasa) imports only the pure modules (calibration, vector_model) and skips it.
"""

import importlib.util

if importlib.util.find_spec("rasa") is not None:
    from rasa_extensions import action_reply_check

    action_reply_check.install()
