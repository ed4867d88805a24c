"""Ground floor: small helpers every app may use (HTTP, admin forms, API plumbing). It imports
no app of the project."""
