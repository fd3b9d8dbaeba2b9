"""Opora's own Rasa components (loaded by module path from nlu/config.yml)."""
