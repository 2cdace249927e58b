// Pieces shared by the portal's Customers screen and the seat console's customer panel (CRM-1):
// the record's read-only view and the create/edit form (tags, custom fields as rows).
import { ActionIcon, Badge, Button, Group, Stack, TagsInput, Text, Textarea, TextInput } from "@mantine/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, data, type Schemas } from "../../api/client";
import { FormActions, useInvalidatingMutation } from "../../components/crud";
import { ErrorAlert } from "../../components/ErrorAlert";
import { cleanList, type CustomerDraft, draftProblems, duplicateOf, EMPTY_DRAFT, MAX_TAGS, toBody, toDraft } from "./model";

export type Customer = Schemas["CustomerOut"];
export const CUSTOMERS_KEY = ["customers"] as const;

/** The record as text: name, company, numbers, tags, custom fields, notes. */
export function CustomerView({ customer }: { customer: Customer }) {
  const { t } = useTranslation();
  const fields = Object.entries(customer.custom);
  return (
    <Stack gap={4} data-testid="customer-view">
      <Text>
        <b data-testid="customer-name">{customer.name}</b>
        {customer.company && <> · {customer.company}</>}
        {customer.category && (
          <Badge ml="xs" variant="outline" size="sm">
            {customer.category}
          </Badge>
        )}
      </Text>
      {customer.phones.length > 0 && (
        <Text size="sm" ff="monospace" data-testid="customer-phones">
          {customer.phones.map((p) => p.phone).join(" · ")}
        </Text>
      )}
      {customer.email && <Text size="sm">{customer.email}</Text>}
      {customer.tags.length > 0 && (
        <Group gap={4} aria-label={t("customers.tags")} data-testid="customer-tags">
          {customer.tags.map((tag) => (
            <Badge key={tag} variant="light" size="sm">
              {tag}
            </Badge>
          ))}
        </Group>
      )}
      {fields.length > 0 && (
        <Text size="sm" data-testid="customer-fields">
          {fields.map(([k, v]) => `${k}: ${v}`).join(" · ")}
        </Text>
      )}
      {customer.notes && (
        <Text size="sm" style={{ whiteSpace: "pre-wrap" }} data-testid="customer-notes">
          {customer.notes}
        </Text>
      )}
    </Stack>
  );
}

/**
 * Create or edit a record. `customer`: edit it; `callKey`: create it from that call (the number
 * comes from the call on the server, shown as `shownPhone`); neither: a new record with typed
 * numbers.
 */
export function CustomerForm({
  customer,
  callKey,
  shownPhone,
  onDone,
  onCancel,
  onOpenExisting,
  compact,
}: {
  customer?: Customer;
  callKey?: string;
  shownPhone?: string;
  onDone: (customer: Customer) => void;
  onCancel?: () => void;
  onOpenExisting?: (id: string) => void;
  compact?: boolean;
}) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<CustomerDraft>(() => (customer ? toDraft(customer) : EMPTY_DRAFT));
  const set = (patch: Partial<CustomerDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const save = useInvalidatingMutation(
    [CUSTOMERS_KEY],
    () => {
      const body = toBody(draft);
      if (customer) {
        return data(
          api.PATCH("/api/v1/customers/{customer_id}", {
            params: { path: { customer_id: customer.id } },
            body: { ...body, phones: cleanList(draft.phones) },
          }),
        );
      }
      if (callKey) {
        return data(api.POST("/api/v1/customers/from-call/{call_key}", { params: { path: { call_key: callKey } }, body }));
      }
      return data(api.POST("/api/v1/customers", { body: { ...body, phones: cleanList(draft.phones) } }));
    },
    (saved) => onDone(saved),
  );
  const problems = draftProblems(draft);
  const existing = duplicateOf(save.error);
  const masked = customer?.phones.filter((p) => p.phone.includes("*")) ?? [];
  const size = compact ? "xs" : "sm";
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (problems.length === 0) save.mutate();
      }}
      data-testid="customer-form"
    >
      <Stack gap={compact ? 6 : "sm"}>
        <Group grow gap="xs" align="flex-start">
          <TextInput size={size} label={t("customers.name")} required maxLength={200} value={draft.name} onChange={(e) => set({ name: e.currentTarget.value })} data-testid="customer-name-input" />
          <TextInput size={size} label={t("customers.company")} maxLength={200} value={draft.company} onChange={(e) => set({ company: e.currentTarget.value })} data-testid="customer-company-input" />
        </Group>
        {callKey && !customer ? (
          <Text size="sm">
            {t("customers.phones")}: <b data-testid="customer-form-phone">{shownPhone || "—"}</b>{" "}
            <Text span c="dimmed" size="xs">
              ({t("customers.phoneFromCall")})
            </Text>
          </Text>
        ) : (
          <>
            {masked.length > 0 && (
              <Text size="sm" ff="monospace">
                {masked.map((p) => p.phone).join(" · ")}
              </Text>
            )}
            <TagsInput size={size} label={t("customers.phones")} description={t("customers.phonesHint")} value={draft.phones} onChange={(v) => set({ phones: v })} maxTags={10} data-testid="customer-phones-input" />
          </>
        )}
        <Group grow gap="xs" align="flex-start">
          <TextInput size={size} label={t("customers.email")} type="email" maxLength={254} value={draft.email} onChange={(e) => set({ email: e.currentTarget.value })} />
          <TextInput size={size} label={t("customers.category")} maxLength={50} value={draft.category} onChange={(e) => set({ category: e.currentTarget.value })} data-testid="customer-category-input" />
        </Group>
        <TagsInput size={size} label={t("customers.tags")} description={t("customers.tagsHint")} value={draft.tags} onChange={(v) => set({ tags: v })} maxTags={MAX_TAGS} data-testid="customer-tags-input" />
        <FieldRows draft={draft} set={set} size={size} />
        <Textarea size={size} label={t("customers.notes")} autosize minRows={compact ? 1 : 2} maxRows={6} maxLength={10000} value={draft.notes} onChange={(e) => set({ notes: e.currentTarget.value })} data-testid="customer-notes-input" />
        {draft.name.trim() !== "" &&
          problems.map((p) => (
            <Text key={p} size="sm" c="red" role="alert">
              {t(`customers.${p as "nameRequired"}`)}
            </Text>
          ))}
        <ErrorAlert error={save.error} />
        {existing && onOpenExisting && (
          <Button size="xs" variant="light" onClick={() => onOpenExisting(existing)}>
            {t("customers.openExisting")}
          </Button>
        )}
        <FormActions onCancel={onCancel} submitLabel={customer ? t("customers.save") : t("common.create")} loading={save.isPending} disabled={problems.length > 0} />
      </Stack>
    </form>
  );
}

function FieldRows({ draft, set, size }: { draft: CustomerDraft; set: (patch: Partial<CustomerDraft>) => void; size: "xs" | "sm" }) {
  const { t } = useTranslation();
  const rows = draft.fields;
  const update = (i: number, patch: Partial<{ name: string; value: string }>) => set({ fields: rows.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  return (
    <Stack gap={4} data-testid="customer-fields-input">
      <Text size="sm" fw={500}>
        {t("customers.fields")}
      </Text>
      {rows.map((row, i) => (
        <Group key={i} gap="xs" wrap="nowrap">
          <TextInput size={size} aria-label={t("customers.fieldName")} placeholder={t("customers.fieldName")} maxLength={50} value={row.name} onChange={(e) => update(i, { name: e.currentTarget.value })} style={{ flex: 1 }} />
          <TextInput size={size} aria-label={t("customers.fieldValue")} placeholder={t("customers.fieldValue")} maxLength={1000} value={row.value} onChange={(e) => update(i, { value: e.currentTarget.value })} style={{ flex: 2 }} />
          <ActionIcon variant="subtle" color="red" aria-label={t("customers.removeField", { name: row.name })} onClick={() => set({ fields: rows.filter((_, j) => j !== i) })}>
            ×
          </ActionIcon>
        </Group>
      ))}
      <Button size="compact-xs" variant="subtle" onClick={() => set({ fields: [...rows, { name: "", value: "" }] })} style={{ alignSelf: "flex-start" }} data-testid="customer-add-field">
        + {t("customers.addField")}
      </Button>
    </Stack>
  );
}
