"""faasbench's engine: builds, runs, measures and stores. It never prints, and imports neither
the dashboard (``tui``) nor the command line (``faasbench``); import-linter holds it to that.

What lives where, in the order data takes:

- ``spec``: what a run is (the benchmarks, one ``Benchmark`` record each; run options; a run's
  ``Plan``; what a scale run brings up), checked before anything runs.
- ``build``: the zig toolchain, the programs for both targets, the launcher, the data files.
- ``runtimes``: one module per way of running a program (``docker`` and ``wasmtime`` packages
  of their own), registered by name.
- ``measure``: a plan's execution (``prepare``, ``run.Run``, one ``cell_run`` per cell, in a
  ``worker`` process spoken to in the messages of ``protocol``).
- ``verify``: the reference outputs, and the check every sample goes through.
- ``scale``: many warm instances at once (density, bursts), in pools of instances.
- ``stats``: summaries, the bootstrap, the one rule for ratios.
- ``store``: the events (the engine's only voice), results files, the runs kept, a run folded.
- ``report``: figures, tables, claims, billing, estimates, comparisons of runs and hosts.
- ``remote``: the same engine on other hosts, over SSH.

Beside them: ``terms`` (the words of the data, each declared once), ``serial`` (the one way
records cross a process or a file), ``errors`` (bad input and exit codes), ``paths`` and
``files`` (where things live, written atomically), ``environment`` (the machine's record) and
``doctor`` (what can run here).

Entry points: ``spec.plan.make_plan`` to describe a run, ``measure.run.Run(plan).events()`` to
execute it as a stream of events, ``scale.scale_run.ScaleRun(spec).events()`` for a scale run,
``doctor.doctor()`` for what can run here, and ``store.results`` to write and read results.
"""
