"""The brand's newsletter: subscribers with double opt-in, issues approved then sent once."""
