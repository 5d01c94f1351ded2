"""Discord presentation: embeds, button layout, the DynamicItem buttons and the error path."""
