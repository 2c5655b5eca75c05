"""aepflow: infrastructure-as-code for Adobe Experience Platform source dataflows."""

__version__ = "0.1.0"

__all__ = ["__version__"]
