"""Every actor module, imported by `fastline worker` (dramatiq app.worker.actors)."""

import app.worker  # noqa: F401  (the broker first)
from app.api import actors as api_actors  # noqa: F401
from app.billing import actors as billing_actors  # noqa: F401
from app.crm import ticket_actors as crm_ticket_actors  # noqa: F401
from app.dialer import actors as dialer_actors  # noqa: F401
from app.edge import actors as edge_actors  # noqa: F401
from app.ivr_builder import actors as ivr_actors  # noqa: F401
from app.recordings import actors as recordings_actors  # noqa: F401
from app.reports import actors as reports_actors  # noqa: F401
from app.seats import actors as seats_actors  # noqa: F401
from app.tenants import actors as tenants_actors  # noqa: F401
