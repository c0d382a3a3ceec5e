"""``faasbench``, the command line: the composition root, the one package that knows both the
engine and the dashboard. ``parser`` defines the commands (light to import: ``--help`` and a typo
answer at once), ``main`` dispatches them (the only module that starts the dashboard), and
``commands`` holds one module per command, each printing what the engine's events and records
say."""
