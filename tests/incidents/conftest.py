import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The cast signs in with password = username; hashing it with the real PBKDF2 costs ~0.2 s a person."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
