"""Django's PostgreSQL backend, batched to the limit on parameters that the server binds.

With `server_side_binding` (config/settings.py) every parameter travels separately, and the wire
protocol carries at most 65,535 of them per statement. Django's PostgreSQL backend assumes no
limit, so deleting a project with more pairs than that built one `pair_id IN (...)` too many and
failed. Batching as Django does for SQLite's limit fixes the deletion collector, `bulk_create` and
`bulk_update`; with client-side binding nothing changes.
"""

from __future__ import annotations

from django.db.backends.postgresql import base, operations

MAX_BOUND_PARAMETERS = 65_535


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields, objs):
        if self.connection.settings_dict["OPTIONS"].get("server_side_binding"):
            return max(1, MAX_BOUND_PARAMETERS // max(len(fields), 1))
        return super().bulk_batch_size(fields, objs)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
