"""Remote hosts: the same engine, started over SSH, its results file followed from here.

``hosts`` names hosts, ``ssh`` connects (host keys checked against known_hosts), ``probe`` asks
a host what it has, ``bootstrap`` installs this machine's faasbench there, ``follow`` reads a
growing results file (locally or over SFTP), ``runner`` runs a plan on several hosts at once and
``tagging`` marks each event with its host. asyncssh is imported only when a host is contacted.
"""
