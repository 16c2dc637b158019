"""HTML pages of the annotate app."""
