"""`python -m bot doctor` and `/mj-admin doctor`: every check an owner needs, one line each."""
