"""Print what the frontend generates from the back end (no server, no database needed).

`dump_openapi.py` prints the OpenAPI document; `dump_openapi.py permissions` prints the role
permission matrix (app/tenants/permissions.py) that the navigation mirrors. Used by
`npm run gen:api`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def openapi() -> Any:
    from app.main import create_app

    return create_app().openapi_schema.to_schema()


def permissions() -> Any:
    from app.tenants.permissions import ROLE_PERMISSIONS

    return {role.value: sorted(p.value for p in perms) for role, perms in ROLE_PERMISSIONS.items()}


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "openapi"
    document = permissions() if what == "permissions" else openapi()
    json.dump(document, sys.stdout, indent=2, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
