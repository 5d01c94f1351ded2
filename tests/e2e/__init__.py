"""End-to-end: the real bot process against the fake Discord and the fake TT API."""
