"""pantau: watch news outlets, match articles against watch rules, deliver alerts."""

__version__ = "0.1.0"
