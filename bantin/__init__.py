"""bantin: grassroots radio and e-board bulletins for Vietnamese local government."""

__version__ = "0.1.0"
__all__ = ["__version__"]
