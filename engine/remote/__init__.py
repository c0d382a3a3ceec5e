"""Remote hosts: the same engine, started over SSH, its results file followed from here.

``hosts`` names hosts, ``ssh`` connects (host keys checked against known_hosts), ``survey`` asks
a host what it has, ``install`` installs this machine's faasbench there, ``jobs`` starts a run
there and follows it, ``follow`` reads a growing results file (locally or over SFTP),
``fanout`` runs a plan on several hosts at once, ``tagging`` marks each event with its host and
``watch`` follows a run without touching it. asyncssh is imported only when a host is contacted.
"""

import warnings

# asyncssh still names cryptography's DSA classes, which cryptography deprecates on every
# import: five lines on stderr for every user of --host, doctor --host and watch, about a key
# type faasbench never uses. Exactly that warning from asyncssh's own modules is silenced.
warnings.filterwarnings("ignore", message="DSA is deprecated", category=UserWarning,
                        module=r"asyncssh\.")
