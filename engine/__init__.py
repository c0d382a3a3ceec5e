"""faasbench's engine: builds, runs, measures and stores. It never prints and never imports Textual.

Public entry points: ``plan.make_plan`` to describe a run, ``runner.Run(plan).events()`` to
execute it as a stream of ``events``, ``doctor.doctor()`` for what can run here, and
``results`` to write and read results files.
"""
