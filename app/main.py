"""The Litestar application: REST API, OpenAPI, (later) the portal's assets and CTI WebSockets."""

from __future__ import annotations

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from app.api.controllers import ApiClientController, WebhookController
from app.api.oauth import OAUTH2_SCHEME, authorize, authorize_redirect, token_endpoint
from app.billing.controllers import BillingController
from app.calls.controllers import CallController
from app.calls.history_controllers import CallHistoryController
from app.calls.wrapup_controllers import WrapupController
from app.crm.customer_controllers import CustomerController
from app.crm.knowledge_controllers import KnowledgeController
from app.crm.ticket_controllers import TicketController
from app.db.deps import provide_db_session
from app.dialer.controllers import ROUTE_HANDLERS as DIALER_HANDLERS
from app.edge.controllers import TrunkController
from app.health import health, ready
from app.ivr_builder.controllers import IvrController
from app.ivr_builder.voice_controllers import PromptController, SurveyController, TtsController
from app.ivr_builder.voicemail_controllers import VoicemailController
from app.lib.logging import configure_logging
from app.lib.problems import exception_handlers
from app.recordings.controllers import RecordingController
from app.reports.controllers import ReportController
from app.seats.acd_controllers import AgentController, QueueController, ReasonController
from app.seats.controllers import ExtensionController
from app.seats.cti_controllers import CtiController, cti_socket
from app.seats.marquee import MarqueeController
from app.seats.wallboard_controllers import wallboard_snapshot, wallboard_socket
from app.settings import get_settings
from app.tenants.audit import AuditMiddleware
from app.tenants.auth import AuthenticationMiddleware, permission_guard
from app.tenants.controllers import (
    AuditController,
    AuthController,
    BusinessController,
    CalendarController,
    CallerListController,
    NumberController,
    PlatformController,
    TenantController,
    UserController,
)
from app.web import portal


def create_app() -> Litestar:
    configure_logging(json=get_settings().log_json)
    return Litestar(
        route_handlers=[
            health,
            ready,
            AuthController,
            UserController,
            TenantController,
            AuditController,
            PlatformController,
            BusinessController,
            CalendarController,
            CallerListController,
            NumberController,
            TrunkController,
            ExtensionController,
            QueueController,
            AgentController,
            ReasonController,
            CtiController,
            cti_socket,
            wallboard_snapshot,
            wallboard_socket,
            CallController,
            CallHistoryController,
            WrapupController,
            MarqueeController,
            TicketController,
            CustomerController,
            RecordingController,
            ReportController,
            BillingController,
            IvrController,
            PromptController,
            TtsController,
            SurveyController,
            VoicemailController,
            KnowledgeController,
            *DIALER_HANDLERS,
            ApiClientController,
            WebhookController,
            token_endpoint,
            authorize_redirect,
            authorize,
            portal,  # last: the portal's assets and SPA fallback (app/web.py)
        ],
        dependencies={"db_session": Provide(provide_db_session)},
        middleware=[AuthenticationMiddleware(), AuditMiddleware()],
        guards=[permission_guard],
        exception_handlers=exception_handlers,
        openapi_config=OpenAPIConfig(
            title="Fastline API",
            version="1.0.0",
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer"),
                    "oauth2": OAUTH2_SCHEME,
                }
            ),
            security=[{"bearer": []}, {"oauth2": []}],
        ),
    )
