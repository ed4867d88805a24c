"""Search routes (the portal's /recherche/ page moves here with the search issue)."""

urlpatterns: list = []
