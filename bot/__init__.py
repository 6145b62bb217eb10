"""intune-triage: triage Microsoft Intune certificate connector failures."""

__version__ = "0.1.0"
