"""EDGE-3/TEN-9: trunk source addresses may be CIDR blocks; who claimed an address is asked
without revealing the other tenant.

- `kamailio_address` (Kamailio's permissions address table) splits "10.1.2.0/24" into
  ip_addr + mask; a plain address keeps /32 (/128 for IPv6).
- `trunk_for_source` matches an address inside a trunk's blocks.
- `trunk_source_claims(tenant, sources)`: the sources another tenant's trunk already covers or
  overlaps (true/false per source only: never which tenant). SECURITY DEFINER as
  fastline_router, which may read every trunk's tenant_id and source_ips and nothing else.

Revision ID: 0013_trunk_sources
Revises: 0012_api_client_redirects
Create Date: 2026-11-25 22:30:00.000000
"""

from alembic import op

revision = "0013_trunk_sources"
down_revision = "0012_api_client_redirects"
branch_labels = None
depends_on = None

ADDRESS_VIEW = """
CREATE OR REPLACE VIEW kamailio_address WITH (security_invoker = true) AS
SELECT 1 AS grp, split_part(ip, '/', 1)::varchar AS ip_addr,
       CASE WHEN position('/' IN ip) > 0 THEN split_part(ip, '/', 2)::int
            WHEN position(':' IN ip) > 0 THEN 128 ELSE 32 END AS mask,
       0 AS port, tr.tenant_id::text AS tag
FROM trunk tr CROSS JOIN LATERAL unnest(tr.source_ips) AS ip
WHERE tr.is_active
"""

OLD_ADDRESS_VIEW = """
CREATE OR REPLACE VIEW kamailio_address WITH (security_invoker = true) AS
SELECT 1 AS grp, ip AS ip_addr, 32 AS mask, 0 AS port, tr.tenant_id::text AS tag
FROM trunk tr CROSS JOIN LATERAL unnest(tr.source_ips) AS ip
WHERE tr.is_active
"""

TRUNK_FOR_SOURCE = """
CREATE OR REPLACE FUNCTION trunk_for_source(p_ip text)
RETURNS TABLE (tenant_id uuid, trunk_id uuid, business_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
DECLARE
  addr inet;
BEGIN
  BEGIN
    addr := p_ip::inet;
  EXCEPTION WHEN invalid_text_representation THEN
    RETURN;  -- not an address: no trunk
  END;
  RETURN QUERY
    SELECT tr.tenant_id, tr.id, tr.business_id FROM trunk tr
    WHERE tr.is_active AND EXISTS (
      SELECT 1 FROM unnest(tr.source_ips) AS s WHERE s::inet >>= addr
    );
END
$$
"""

OLD_TRUNK_FOR_SOURCE = """
CREATE OR REPLACE FUNCTION trunk_for_source(p_ip text)
RETURNS TABLE (tenant_id uuid, trunk_id uuid, business_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT tr.tenant_id, tr.id, tr.business_id FROM trunk tr
  WHERE tr.is_active AND p_ip = ANY (tr.source_ips)
$$
"""

# Sources are validated and normalised by the app (app/edge/services.py) before they get here.
SOURCE_CLAIMS = """
CREATE FUNCTION trunk_source_claims(p_tenant uuid, p_sources text[])
RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT DISTINCT wanted FROM unnest(p_sources) AS wanted
  WHERE EXISTS (
    SELECT 1 FROM trunk tr CROSS JOIN LATERAL unnest(tr.source_ips) AS s
    WHERE tr.tenant_id <> p_tenant AND s::inet && wanted::inet
  )
$$
"""


def upgrade() -> None:
    op.execute(ADDRESS_VIEW)
    op.execute(TRUNK_FOR_SOURCE)
    op.execute(SOURCE_CLAIMS)
    op.execute("ALTER FUNCTION trunk_for_source(text) OWNER TO fastline_router")
    op.execute("ALTER FUNCTION trunk_source_claims(uuid, text[]) OWNER TO fastline_router")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS trunk_source_claims(uuid, text[])")
    op.execute(OLD_TRUNK_FOR_SOURCE)
    op.execute("ALTER FUNCTION trunk_for_source(text) OWNER TO fastline_router")
    op.execute(OLD_ADDRESS_VIEW)
