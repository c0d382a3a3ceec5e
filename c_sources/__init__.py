"""The benchmark programs in C; shipped as package data so an installed faasbench can build them."""
