"""Results of closed rounds for the secretariat: figures, charts, downloads, moderation."""
