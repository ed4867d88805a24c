import pytest


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    # Production uses the hashed-manifest storage, which needs collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
