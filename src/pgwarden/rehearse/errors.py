"""Why a rehearsal could not be set up: the copy of the source could not be built."""

from __future__ import annotations

from pgwarden.errors import PgwardenError


class RehearseError(PgwardenError):
    """The source could not be read or the copy could not be built; nothing ran."""

    exit_code = 2
