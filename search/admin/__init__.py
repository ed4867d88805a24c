"""The admin's « Synonymes de la recherche » section (search/wagtail_hooks.py)."""
