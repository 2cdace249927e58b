"""Seats (extensions), trunks, call records; read-only paths for Kamailio and call routing

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:51:44.006571
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.db.rls import drop_tenant_table_rls, tenant_table_rls

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

TENANT_TABLES = ["call_record", "extension", "recording", "trunk"]

# Kamailio (role fastline_kamailio, created by `fastline db bootstrap`) reads SIP credentials and
# trunk addresses through two views and nothing else: column grants limit what it can read, and
# role-specific RLS policies let it see every tenant's rows of those columns (it must: a REGISTER
# names its tenant only by domain).
KAMAILIO_SQL = [
    "GRANT SELECT (tenant_id, number, ha1, ha1_sha256, is_active, bound_ip) ON extension"
    " TO fastline_kamailio",
    "GRANT SELECT (id, sip_domain, status) ON tenant TO fastline_kamailio",
    "GRANT SELECT (tenant_id, id, source_ips, is_active) ON trunk TO fastline_kamailio",
    "CREATE POLICY kamailio_read ON extension FOR SELECT TO fastline_kamailio USING (true)",
    "CREATE POLICY kamailio_read ON tenant FOR SELECT TO fastline_kamailio USING (true)",
    "CREATE POLICY kamailio_read ON trunk FOR SELECT TO fastline_kamailio USING (true)",
    """
    CREATE VIEW kamailio_subscriber WITH (security_invoker = true) AS
    SELECT e.number AS username, t.sip_domain AS domain, e.ha1 AS ha1, e.ha1_sha256 AS ha1b,
           e.tenant_id::text AS tenant_id, e.bound_ip AS bound_ip
    FROM extension e JOIN tenant t ON t.id = e.tenant_id
    WHERE e.is_active AND t.status = 'active' AND t.sip_domain IS NOT NULL
    """,
    """
    CREATE VIEW kamailio_address WITH (security_invoker = true) AS
    SELECT 1 AS grp, ip AS ip_addr, 32 AS mask, 0 AS port, tr.tenant_id::text AS tag
    FROM trunk tr CROSS JOIN LATERAL unnest(tr.source_ips) AS ip
    WHERE tr.is_active
    """,
    # Kamailio modules check their tables' schema versions; these views answer for ours.
    """
    CREATE VIEW kamailio_version AS
    SELECT * FROM (VALUES ('kamailio_address', 6), ('kamailio_subscriber', 7))
      AS v (table_name, table_version)
    """,
    "GRANT SELECT ON kamailio_subscriber, kamailio_address, kamailio_version TO fastline_kamailio",
]

# callcontrol learns the tenant of a new call from the dialed number, the SIP domain or the
# trunk's source address. These functions run as fastline_router (NOLOGIN), which may read
# exactly those columns of every tenant and nothing else; the app role may call them.
ROUTER_SQL = [
    "GRANT SELECT (tenant_id, id, number, business_id, flow_id, is_active) ON phone_number"
    " TO fastline_router",
    "GRANT SELECT (id, sip_domain, status) ON tenant TO fastline_router",
    "GRANT SELECT (tenant_id, id, source_ips, business_id, is_active) ON trunk TO fastline_router",
    "CREATE POLICY router_read ON phone_number FOR SELECT TO fastline_router USING (true)",
    "CREATE POLICY router_read ON tenant FOR SELECT TO fastline_router USING (true)",
    "CREATE POLICY router_read ON trunk FOR SELECT TO fastline_router USING (true)",
    """
    CREATE FUNCTION route_for_number(p_number text)
    RETURNS TABLE (tenant_id uuid, number_id uuid, business_id uuid, flow_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
      SELECT n.tenant_id, n.id, n.business_id, n.flow_id FROM phone_number n
      JOIN tenant t ON t.id = n.tenant_id AND t.status = 'active'
      WHERE n.number = p_number AND n.is_active
    $$
    """,
    """
    CREATE FUNCTION tenant_for_sip_domain(p_domain text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
      SELECT id FROM tenant WHERE sip_domain = lower(p_domain) AND status = 'active'
    $$
    """,
    """
    CREATE FUNCTION trunk_for_source(p_ip text)
    RETURNS TABLE (tenant_id uuid, trunk_id uuid, business_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
      SELECT tr.tenant_id, tr.id, tr.business_id FROM trunk tr
      WHERE tr.is_active AND p_ip = ANY (tr.source_ips)
    $$
    """,
    "ALTER FUNCTION route_for_number(text) OWNER TO fastline_router",
    "ALTER FUNCTION tenant_for_sip_domain(text) OWNER TO fastline_router",
    "ALTER FUNCTION trunk_for_source(text) OWNER TO fastline_router",
]


def upgrade() -> None:

    op.create_table('call_record',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('call_key', sa.String(length=100), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('from_number', sa.String(length=64), nullable=False),
    sa.Column('to_number', sa.String(length=64), nullable=False),
    sa.Column('business_id', sa.Uuid(), nullable=True),
    sa.Column('trunk_id', sa.Uuid(), nullable=True),
    sa.Column('agent_user_id', sa.Uuid(), nullable=True),
    sa.Column('extension', sa.String(length=6), nullable=True),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bridged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hangup_cause', sa.String(length=50), nullable=False),
    sa.Column('hangup_side', sa.String(length=20), nullable=False),
    sa.Column('legs', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('dtmf', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_call_record_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_call_record')),
    sa.UniqueConstraint('tenant_id', 'call_key', name='uq_call_record_key')
    )
    op.create_index('ix_call_record_arrived', 'call_record', ['tenant_id', 'arrived_at'], unique=False)
    op.create_table('extension',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.String(length=6), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('ha1', sa.String(length=32), nullable=False),
    sa.Column('ha1_sha256', sa.String(length=64), nullable=False),
    sa.Column('seat_type', sa.String(length=10), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('business_id', sa.Uuid(), nullable=True),
    sa.Column('bound_ip', sa.String(length=64), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_extension_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_extension')),
    sa.UniqueConstraint('tenant_id', 'number', name='uq_extension_number')
    )
    op.create_table('recording',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('call_key', sa.String(length=100), nullable=False),
    sa.Column('call_record_id', sa.Uuid(), nullable=True),
    sa.Column('object_key', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('duration_seconds', sa.Float(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_recording_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_recording')),
    sa.UniqueConstraint('tenant_id', 'call_key', name='uq_recording_call')
    )
    op.create_table('trunk',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('transport', sa.String(length=5), nullable=False),
    sa.Column('source_ips', postgresql.ARRAY(sa.String(length=64)), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('password', sa.String(length=200), nullable=False),
    sa.Column('caller_id', sa.String(length=32), nullable=False),
    sa.Column('max_channels', sa.Integer(), nullable=False),
    sa.Column('business_id', sa.Uuid(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_trunk_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_trunk')),
    sa.UniqueConstraint('tenant_id', 'name', name='uq_trunk_name')
    )
    op.add_column('tenant', sa.Column('sip_domain', sa.String(length=255), nullable=True))
    op.create_unique_constraint(op.f('uq_tenant_sip_domain'), 'tenant', ['sip_domain'])
    for table in TENANT_TABLES:
        for statement in tenant_table_rls(table):
            op.execute(statement)
    for statement in KAMAILIO_SQL + ROUTER_SQL:
        op.execute(statement)



def downgrade() -> None:
    for function in ("route_for_number", "tenant_for_sip_domain", "trunk_for_source"):
        op.execute(f"DROP FUNCTION IF EXISTS {function}(text)")
    op.execute("DROP VIEW IF EXISTS kamailio_subscriber, kamailio_address, kamailio_version")
    for table in ("extension", "tenant", "trunk", "phone_number"):
        op.execute(f"DROP POLICY IF EXISTS kamailio_read ON {table}")
        op.execute(f"DROP POLICY IF EXISTS router_read ON {table}")
    for table in TENANT_TABLES:
        for statement in drop_tenant_table_rls(table):
            op.execute(statement)

    op.drop_constraint(op.f('uq_tenant_sip_domain'), 'tenant', type_='unique')
    op.drop_column('tenant', 'sip_domain')
    op.drop_table('trunk')
    op.drop_table('recording')
    op.drop_table('extension')
    op.drop_index('ix_call_record_arrived', table_name='call_record')
    op.drop_table('call_record')

