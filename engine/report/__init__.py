"""Reports over a recorded run: tables as data (``tables``), rendered as text, Markdown or JSON
(``render``), one CSV row per sample (``samples_csv``), hyperfine's JSON layout (``hyperfine``)
and the study's claims with verdicts (``claims``). Nothing here re-runs anything."""
