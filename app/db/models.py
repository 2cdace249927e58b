"""Imports every domain's models so that metadata (Alembic, the RLS test) sees all tables."""

from app.api import models as api  # noqa: F401
from app.billing import models as billing  # noqa: F401
from app.calls import models as calls  # noqa: F401
from app.calls import wrapup as calls_wrapup  # noqa: F401
from app.crm import customers as crm_customers  # noqa: F401
from app.crm import knowledge as crm_knowledge  # noqa: F401
from app.crm import tickets as crm_tickets  # noqa: F401
from app.dialer import models as dialer  # noqa: F401
from app.edge import models as edge  # noqa: F401
from app.ivr_builder import models as ivr_builder  # noqa: F401
from app.seats import agents as seats_agents  # noqa: F401
from app.seats import marquee as seats_marquee  # noqa: F401
from app.seats import models as seats  # noqa: F401
from app.seats import queues as seats_queues  # noqa: F401
from app.tenants import models as tenants  # noqa: F401
