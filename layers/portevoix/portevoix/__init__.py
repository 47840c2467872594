"""Porte-voix: the domain package shared by every Lambda function.

Nothing here knows about Lambda events; handlers in ``functions/`` parse
events and call into these modules.
"""

__version__ = "0.1.0"
