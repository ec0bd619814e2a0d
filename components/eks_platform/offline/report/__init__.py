"""The plan document, its text and Mermaid renderings, and the fleet view: they read every
other room."""
