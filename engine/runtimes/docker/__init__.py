"""Docker: the engine client (``engine_client``), locally built images and leftovers
(``images``), cgroup figures (``cgroups``), the one container spec the API and the CLI share
(``container_spec``), and the ``docker`` and ``docker-exec`` runtimes (``runtime``)."""
