"""One module per command: each turns the engine's events and records into what the terminal
shows. None of them imports the dashboard."""
