"""DRF API of the annotate app: one view per operation, with its own serializers."""
