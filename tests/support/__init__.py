"""Test support: an EVTX writer and realistic Intune connector log fixtures."""
