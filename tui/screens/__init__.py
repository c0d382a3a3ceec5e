"""The dashboard's screens: setup, live run, compare, help, and the tune dialog."""
