"""Event Viewer CSV / TXT and PowerShell Export-Csv exports (in progress)."""
