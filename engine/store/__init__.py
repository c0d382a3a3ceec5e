"""Storing: the events that are the engine's only voice (``events``), results files of those
events (``results``), the runs kept in the data dir (``history``) and a run folded from its events
into cells and samples (``run_model``)."""
