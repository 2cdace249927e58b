// CRM-1 on the screen pop: the caller's customer record, found by the server from the call's
// number (masked for agents on campaign and click-to-call calls, DIAL-6), editable in place; or
// a record created from the call (the number never leaves the server from here).
import { Button, Group, Stack, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../api/client";
import { can } from "../auth/permissions";
import { useSession } from "../auth/session";
import { ErrorAlert } from "../components/ErrorAlert";
import { CUSTOMERS_KEY, CustomerForm, CustomerView } from "../pages/customers/parts";

export function CustomerPanel({ callId }: { callId: string }) {
  const { t } = useTranslation();
  const { me } = useSession();
  const [editing, setEditing] = useState(false);
  const record = useQuery({
    queryKey: [...CUSTOMERS_KEY, "for-call", callId],
    queryFn: () => data(api.GET("/api/v1/customers/for-call/{call_key}", { params: { path: { call_key: callId } } })),
    enabled: Boolean(callId),
    retry: false,
  });
  if (!callId) return null;
  const customer = record.data?.customer ?? null;
  const mayWrite = can(me.role, "customers.write");
  return (
    <Stack gap={4} data-testid="pop-customer" aria-labelledby="pop-customer-title">
      <Group justify="space-between" wrap="nowrap">
        <Text fw={600} id="pop-customer-title">
          {t("customers.pop.title")}
        </Text>
        {customer && mayWrite && !editing && (
          <Button size="compact-xs" variant="light" onClick={() => setEditing(true)} data-testid="pop-customer-edit">
            {t("customers.edit")}
          </Button>
        )}
      </Group>
      <ErrorAlert error={record.error} />
      {record.data && editing ? (
        <CustomerForm
          key={customer?.id ?? "new"}
          compact
          customer={customer ?? undefined}
          callKey={callId}
          shownPhone={record.data.phone}
          onCancel={() => setEditing(false)}
          onDone={() => setEditing(false)}
        />
      ) : customer ? (
        <CustomerView customer={customer} />
      ) : (
        record.data && (
          <Group justify="space-between" wrap="nowrap" gap="xs">
            <Text size="sm" c="dimmed">
              {record.data.phone ? t("customers.pop.none") : t("customers.pop.noNumber")}
            </Text>
            {mayWrite && record.data.phone && (
              <Button size="compact-xs" variant="light" onClick={() => setEditing(true)} data-testid="pop-customer-create">
                {t("customers.pop.create")}
              </Button>
            )}
          </Group>
        )
      )}
    </Stack>
  );
}
