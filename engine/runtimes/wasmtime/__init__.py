"""Wasmtime embedded through wasmtime-py (``runtime``): requests made straight through its C API
(``lean``), served back to back by a loop in C (``loop``, ``loop.c``), and the ablation that
measures what each part is worth (``ablation``)."""
