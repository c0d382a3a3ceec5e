"""What a run is, as plain data checked before anything runs: the benchmarks (``benchmarks``:
one ``Benchmark`` record each), the options every cell shares (``options``), a run's plan of
cells (``plan``) and what a scale run brings up (``scale_spec``). Light to import: the command
line parses with it before anything heavy is loaded."""
