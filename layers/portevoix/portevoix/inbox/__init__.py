"""The inbox: classify and file mentions, reply, moderate, detect crises, inbound email."""
