"""Event Viewer "Save as XML" and `wevtutil qe /f:xml` exports (in progress)."""
