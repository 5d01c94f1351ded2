"""The bot run as a real process against the fakes: the world end-to-end tests and benches drive."""
