"""The producers of user-facing text: plans (text, JSON, Markdown) and apply progress."""
