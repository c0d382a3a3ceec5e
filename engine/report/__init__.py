"""Reporting on recorded runs, nothing re-run: the figures (``analysis``), the report's tables as
data (``tables``, ``scale_tables``, ``cost_table``) rendered as text, Markdown or JSON
(``render``, ``chart``), exports (``samples_csv``, ``hyperfine``), the study's claims with
verdicts (``claims``, ``economy_claims``), billing (``billing``), two runs compared
(``compare_runs``), hosts side by side (``hosts``), how long a plan will take (``estimate``) and
figures as people read them (``units``)."""
