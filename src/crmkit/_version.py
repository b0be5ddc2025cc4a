"""The crmkit version, read by the build backend and by ``crmkit --version``."""

__version__ = "0.1.0.dev0"
