"""Query parameters every list endpoint shares."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

# Past a billion rows nobody pages; the bound also keeps OFFSET inside Postgres' bigint.
MAX_OFFSET = 1_000_000_000

Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)]
