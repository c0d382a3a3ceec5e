"""The faasbench dashboard (Textual). The engine never imports this package."""
