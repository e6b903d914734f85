"""The graph read model: each process's copy of who is connected to whom (with blocks and group
memberships), loaded from PostgreSQL and kept from the graph's outbox; the graph questions are
answered from it (see ``model`` and ``feed``)."""
