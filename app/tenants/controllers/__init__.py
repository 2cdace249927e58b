from app.tenants.controllers.audit import AuditController
from app.tenants.controllers.auth import AuthController
from app.tenants.controllers.platform import PlatformController
from app.tenants.controllers.settings import (
    BusinessController,
    CalendarController,
    CallerListController,
    NumberController,
)
from app.tenants.controllers.tenant import TenantController
from app.tenants.controllers.users import UserController

__all__ = [
    "AuditController",
    "AuthController",
    "BusinessController",
    "CalendarController",
    "CallerListController",
    "NumberController",
    "PlatformController",
    "TenantController",
    "UserController",
]
