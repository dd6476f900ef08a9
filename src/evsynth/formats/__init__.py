"""File formats: pure bytes and text to and from records and tagged documents."""
