"""The admin's open data sections: datasets (views.py) and reports (reports.py)."""
