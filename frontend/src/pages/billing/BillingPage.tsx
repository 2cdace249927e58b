// Billing (BILL-1, BILL-2): plan and seats, credit limit, this period's usage and cost per
// seat / queue / campaign, invoices, and the rate table editor with a prefix test.
import { Alert, Badge, Button, Card, Group, SegmentedControl, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../../api/client";
import { can } from "../../auth/permissions";
import { useSession } from "../../auth/session";
import { ErrorAlert } from "../../components/ErrorAlert";
import { PageHeader } from "../../components/PageHeader";
import {
  billedMinutes,
  creditState,
  emptyRow,
  formatMoney,
  minorToText,
  monthRange,
  recentMonths,
  toRates,
  toRow,
  validateRows,
  type AccountOut,
  type Direction,
  type GroupBy,
  type RateMatchOut,
  type RateRow,
} from "./logic";

export function BillingPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const manage = can(me.role, "billing.manage");
  const account = useQuery({ queryKey: ["billing", "account"], queryFn: () => data(api.GET("/api/v1/billing/account")) });
  return (
    <>
      <PageHeader title={t("billing.title")} />
      <ErrorAlert error={account.error} />
      <Stack gap="lg">
        {account.data && <PlanCard account={account.data} manage={manage} />}
        <UsageCard currency={account.data?.currency ?? ""} manage={manage} />
        <InvoicesCard />
        <RatesCard manage={manage} />
      </Stack>
    </>
  );
}

function PlanCard({ account, manage }: { account: AccountOut; manage: boolean }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["billing"] });
  const [limit, setLimit] = useState(account.creditLimit ?? "");
  const [price, setPrice] = useState(minorToText(account.seatPriceMinor));
  const [currency, setCurrency] = useState(account.currency.toUpperCase());
  useEffect(() => setLimit(account.creditLimit ?? ""), [account.creditLimit]);

  const save = useMutation({
    mutationFn: (body: { creditLimit?: string; clearCreditLimit?: boolean; seatPriceMinor?: number; currency?: string }) =>
      data(api.PUT("/api/v1/billing/account", { body: { clearCreditLimit: false, ...body } })),
    onSuccess: refresh,
  });
  const subscribe = useMutation({ mutationFn: () => data(api.POST("/api/v1/billing/subscription")), onSuccess: refresh });
  const sync = useMutation({ mutationFn: () => data(api.POST("/api/v1/billing/seats/sync")), onSuccess: refresh });
  const subscribed = account.stripeSubscriptionId != null;
  const state = creditState(account);
  const money = (amount: string) => formatMoney(amount, account.currency, i18n.language);

  const savePlan = (e: FormEvent) => {
    e.preventDefault();
    const minor = Math.round(Number(price) * 100);
    save.mutate({ seatPriceMinor: Number.isFinite(minor) ? minor : 0, currency });
  };
  const saveLimit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(limit.trim() ? { creditLimit: limit.trim() } : { clearCreditLimit: true });
  };

  return (
    <Card withBorder data-testid="billing-plan">
      <Title order={3} mb="sm">
        {t("billing.plan")}
      </Title>
      <ErrorAlert error={save.error ?? subscribe.error ?? sync.error} />
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="lg">
        <Stack gap="xs">
          <Group gap="xs">
            <Text fw={500}>{t("billing.status")}:</Text>
            <Badge color={account.status === "active" ? "green" : "red"}>
              {t(`billing.statuses.${account.status}`, { defaultValue: account.status })}
            </Badge>
          </Group>
          <Text data-testid="billing-seats">
            {t("billing.seats")}: {account.seats} · {t("billing.agentSeats")}: {account.agentSeats}
          </Text>
          <Text>
            {t("billing.seatPrice")}: {money(minorToText(account.seatPriceMinor))}
          </Text>
          {!subscribed && <Text c="dimmed">{t("billing.notSubscribed")}</Text>}
          {manage && !subscribed && (
            <form onSubmit={savePlan}>
              <Group align="end">
                <TextInput label={t("billing.seatPrice")} value={price} onChange={(e) => setPrice(e.currentTarget.value)} w={160} />
                <TextInput label={t("billing.currency")} value={currency} maxLength={3} onChange={(e) => setCurrency(e.currentTarget.value.toUpperCase())} w={90} />
                <Button type="submit" variant="default" loading={save.isPending}>
                  {t("billing.savePlan")}
                </Button>
              </Group>
            </form>
          )}
          {manage && (
            <Group>
              {!subscribed && (
                <Button onClick={() => subscribe.mutate()} loading={subscribe.isPending}>
                  {t("billing.subscribe")}
                </Button>
              )}
              {subscribed && (
                <Button variant="default" onClick={() => sync.mutate()} loading={sync.isPending}>
                  {t("billing.syncSeats")}
                </Button>
              )}
            </Group>
          )}
        </Stack>
        <Stack gap="xs">
          <Text data-testid="billing-unpaid">
            {t("billing.unpaid")}: {money(account.unpaid)}
          </Text>
          <Text>
            {t("billing.creditLimit")}: {account.creditLimit == null ? t("billing.noLimit") : money(account.creditLimit)}
          </Text>
          {state !== "none" && (
            <Alert color={state === "ok" ? "green" : "red"} data-testid="billing-dial-state">
              {state === "ok"
                ? t("billing.dialAllowed")
                : t("billing.dialRefusedDetail", { unpaid: money(account.unpaid), limit: money(account.creditLimit ?? "0") })}
            </Alert>
          )}
          {manage && (
            <form onSubmit={saveLimit}>
              <Group align="end">
                <TextInput label={t("billing.creditLimit")} placeholder={t("billing.noLimit")} value={limit} onChange={(e) => setLimit(e.currentTarget.value)} w={160} />
                <Button type="submit" variant="default" loading={save.isPending}>
                  {t("billing.saveLimit")}
                </Button>
              </Group>
            </form>
          )}
        </Stack>
      </SimpleGrid>
    </Card>
  );
}

function UsageCard({ currency, manage }: { currency: string; manage: boolean }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const months = recentMonths(new Date(), 12);
  const [month, setMonth] = useState(months[0]);
  const [by, setBy] = useState<GroupBy>("seat");
  const [note, setNote] = useState<{ key: string; params?: Record<string, string | number> } | null>(null);
  const range = monthRange(month);
  const usage = useQuery({
    queryKey: ["billing", "usage", by, month],
    queryFn: () => data(api.GET("/api/v1/billing/usage", { params: { query: { by, ...range } } })),
  });
  const rate = useMutation({
    mutationFn: () => data(api.POST("/api/v1/billing/rating", { body: { rerate: false } })),
    onSuccess: (out) => {
      setNote({ key: "billing.rated", params: { count: out.rated } });
      void queryClient.invalidateQueries({ queryKey: ["billing"] });
    },
  });
  const report = useMutation({
    mutationFn: () => data(api.POST("/api/v1/billing/usage/report")),
    onSuccess: (out) => {
      setNote(out.stripeItemId ? { key: "billing.reported", params: { amount: minorToText(out.amountMinor) } } : { key: "billing.nothingToReport" });
      void queryClient.invalidateQueries({ queryKey: ["billing"] });
    },
  });
  const shown = usage.data?.currency || currency;
  const money = (amount: string) => formatMoney(amount, shown, i18n.language);
  const groups: GroupBy[] = ["seat", "queue", "campaign", "tenant"];

  return (
    <Card withBorder>
      <Group justify="space-between" mb="sm">
        <Title order={3}>{t("billing.usage")}</Title>
        {manage && (
          <Group gap="xs">
            <Button size="xs" variant="default" onClick={() => rate.mutate()} loading={rate.isPending}>
              {t("billing.rateNow")}
            </Button>
            <Button size="xs" variant="default" onClick={() => report.mutate()} loading={report.isPending}>
              {t("billing.reportUsage")}
            </Button>
          </Group>
        )}
      </Group>
      <Group mb="sm" align="end">
        <Select label={t("billing.month")} data={months} value={month} onChange={(v) => v && setMonth(v)} allowDeselect={false} w={140} />
        <SegmentedControl
          aria-label={t("billing.by")}
          value={by}
          onChange={(v) => setBy(v as GroupBy)}
          data={groups.map((g) => ({ value: g, label: t(`billing.groups.${g}`) }))}
        />
      </Group>
      {note && (
        <Text size="sm" c="dimmed" mb="xs" role="status">
          {t(note.key, note.params)}
        </Text>
      )}
      <ErrorAlert error={usage.error ?? rate.error ?? report.error} />
      {usage.data && usage.data.rows.length === 0 && <Text c="dimmed">{t("billing.noUsage")}</Text>}
      {usage.data && usage.data.rows.length > 0 && (
        <Table striped data-testid="billing-usage">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t(`billing.groups.${by}`)}</Table.Th>
              <Table.Th>{t("billing.calls")}</Table.Th>
              <Table.Th>{t("billing.minutes")}</Table.Th>
              <Table.Th>{t("billing.cost")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {usage.data.rows.map((row) => (
              <Table.Tr key={row.key ?? "none"}>
                <Table.Td>{by === "tenant" ? t("billing.groups.tenant") : row.name || t("billing.unassigned")}</Table.Td>
                <Table.Td>{row.calls}</Table.Td>
                <Table.Td>{billedMinutes(row.billableSeconds)}</Table.Td>
                <Table.Td>{money(row.cost)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
          <Table.Tfoot>
            <Table.Tr>
              <Table.Th colSpan={3}>{t("billing.total")}</Table.Th>
              <Table.Th data-testid="billing-usage-total">{money(usage.data.total)}</Table.Th>
            </Table.Tr>
          </Table.Tfoot>
        </Table>
      )}
    </Card>
  );
}

function InvoicesCard() {
  const { t, i18n } = useTranslation();
  const invoices = useQuery({ queryKey: ["billing", "invoices"], queryFn: () => data(api.GET("/api/v1/billing/invoices")) });
  return (
    <Card withBorder>
      <Title order={3} mb="sm">
        {t("billing.invoices")}
      </Title>
      <ErrorAlert error={invoices.error} />
      {invoices.data && invoices.data.length === 0 && <Text c="dimmed">{t("billing.noInvoices")}</Text>}
      {invoices.data && invoices.data.length > 0 && (
        <Table striped data-testid="billing-invoices">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("billing.invoice")}</Table.Th>
              <Table.Th>{t("billing.created")}</Table.Th>
              <Table.Th>{t("billing.status")}</Table.Th>
              <Table.Th>{t("billing.amountDue")}</Table.Th>
              <Table.Th>{t("billing.amountPaid")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {invoices.data.map((inv) => (
              <Table.Tr key={inv.id}>
                <Table.Td>{inv.number || inv.id}</Table.Td>
                <Table.Td>{inv.created ? new Date(inv.created).toLocaleDateString(i18n.language) : ""}</Table.Td>
                <Table.Td>{t(`billing.invoiceStatuses.${inv.status}`, { defaultValue: inv.status })}</Table.Td>
                <Table.Td>{formatMoney(minorToText(inv.amountDue), inv.currency, i18n.language)}</Table.Td>
                <Table.Td>{formatMoney(minorToText(inv.amountPaid), inv.currency, i18n.language)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}

function RatesCard({ manage }: { manage: boolean }) {
  const { t } = useTranslation();
  const [direction, setDirection] = useState<Direction>("outbound");
  const tables = useQuery({ queryKey: ["billing", "rate-tables"], queryFn: () => data(api.GET("/api/v1/billing/rate-tables")) });
  const table = tables.data?.find((x) => x.direction === direction);
  return (
    <Card withBorder>
      <Title order={3} mb="sm">
        {t("billing.rates")}
      </Title>
      <SegmentedControl
        mb="sm"
        value={direction}
        onChange={(v) => setDirection(v as Direction)}
        data={(["outbound", "inbound"] as Direction[]).map((d) => ({ value: d, label: t(`billing.directions.${d}`) }))}
      />
      <ErrorAlert error={tables.error} />
      {tables.data && (
        <RateEditor
          key={`${direction}-${table?.id ?? "new"}`}
          direction={direction}
          name={table?.name ?? ""}
          currency={table?.currency ?? "CNY"}
          rows={(table?.rates ?? []).map(toRow)}
          manage={manage}
        />
      )}
      <PrefixTest direction={direction} />
    </Card>
  );
}

interface EditorProps {
  direction: Direction;
  name: string;
  currency: string;
  rows: RateRow[];
  manage: boolean;
}

function RateEditor(props: EditorProps) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [name, setName] = useState(props.name);
  const [currency, setCurrency] = useState(props.currency);
  const [rows, setRows] = useState<RateRow[]>(props.rows.length ? props.rows : [emptyRow()]);
  const [saved, setSaved] = useState(false);
  const errors = validateRows(rows);
  const save = useMutation({
    mutationFn: () =>
      data(
        api.PUT("/api/v1/billing/rate-tables/{direction}", {
          params: { path: { direction: props.direction } },
          body: { name: name.trim() || props.direction, currency, rates: toRates(rows) },
        }),
      ),
    onSuccess: () => {
      setSaved(true);
      void queryClient.invalidateQueries({ queryKey: ["billing"] });
    },
  });
  const edit = (i: number, field: keyof RateRow, value: string) => {
    setSaved(false);
    setRows(rows.map((row, j) => (j === i ? { ...row, [field]: value } : row)));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (errors.length === 0) save.mutate();
  };
  const cell = (i: number, field: keyof RateRow, label: string, w: number) => (
    <TextInput size="xs" aria-label={`${label} ${i + 1}`} value={rows[i][field]} onChange={(e) => edit(i, field, e.currentTarget.value)} readOnly={!props.manage} w={w} />
  );

  return (
    <form onSubmit={submit}>
      <Group mb="xs" align="end">
        <TextInput label={t("billing.tableName")} value={name} onChange={(e) => setName(e.currentTarget.value)} readOnly={!props.manage} w={240} />
        <TextInput label={t("billing.currency")} value={currency} maxLength={3} onChange={(e) => setCurrency(e.currentTarget.value.toUpperCase())} readOnly={!props.manage} w={90} />
      </Group>
      <Text size="xs" c="dimmed" mb={4}>
        {t("billing.prefixHint")}
      </Text>
      <Table data-testid="rate-editor">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("billing.prefix")}</Table.Th>
            <Table.Th>{t("billing.description")}</Table.Th>
            <Table.Th>{t("billing.pricePerMinute")}</Table.Th>
            <Table.Th>
              {t("billing.increments")}: {t("billing.initialIncrement")} / {t("billing.increment")}
            </Table.Th>
            <Table.Th>{t("billing.connectionFee")}</Table.Th>
            {props.manage && <Table.Th />}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row, i) => (
            <Table.Tr key={i}>
              <Table.Td>{cell(i, "prefix", t("billing.prefix"), 110)}</Table.Td>
              <Table.Td>{cell(i, "description", t("billing.description"), 160)}</Table.Td>
              <Table.Td>{cell(i, "pricePerMinute", t("billing.pricePerMinute"), 100)}</Table.Td>
              <Table.Td>
                <Group gap={4} wrap="nowrap">
                  {cell(i, "initialIncrement", t("billing.initialIncrement"), 60)}/{cell(i, "increment", t("billing.increment"), 60)}
                </Group>
              </Table.Td>
              <Table.Td>{cell(i, "connectionFee", t("billing.connectionFee"), 90)}</Table.Td>
              {props.manage && (
                <Table.Td>
                  <Button size="xs" variant="subtle" color="red" aria-label={t("billing.removeRate", { prefix: row.prefix || "*" })} onClick={() => setRows(rows.filter((_, j) => j !== i))}>
                    ×
                  </Button>
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {errors.length > 0 && (
        <Alert color="orange" mt="xs" data-testid="rate-errors">
          {errors.map((err) => (
            <div key={`${err.key}-${err.line}`}>{t(`billing.errors.${err.key}`, { line: err.line, prefix: err.prefix })}</div>
          ))}
        </Alert>
      )}
      <ErrorAlert error={save.error} />
      {props.manage && (
        <Group mt="xs">
          <Button size="xs" variant="default" onClick={() => setRows([...rows, emptyRow()])}>
            {t("billing.addRate")}
          </Button>
          <Button size="xs" type="submit" disabled={errors.length > 0} loading={save.isPending}>
            {t("billing.saveRates")}
          </Button>
          {saved && (
            <Text size="sm" c="green" role="status">
              {t("billing.saved")}
            </Text>
          )}
        </Group>
      )}
    </form>
  );
}

function PrefixTest({ direction }: { direction: Direction }) {
  const { t } = useTranslation();
  const [number, setNumber] = useState("");
  const [seconds, setSeconds] = useState("60");
  const [result, setResult] = useState<RateMatchOut | null>(null);
  const test = useMutation({
    mutationFn: () =>
      data(
        api.GET("/api/v1/billing/rate-tables/{direction}/match", {
          params: { path: { direction }, query: { number: number.trim(), seconds: Number(seconds) || 0 } },
        }),
      ),
    onSuccess: setResult,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (number.trim()) test.mutate();
  };
  return (
    <form onSubmit={submit}>
      <Title order={4} mt="md" mb="xs">
        {t("billing.testPrefix")}
      </Title>
      <Group align="end">
        <TextInput label={t("billing.number")} value={number} onChange={(e) => setNumber(e.currentTarget.value)} w={200} />
        <TextInput label={t("billing.talkSeconds")} value={seconds} onChange={(e) => setSeconds(e.currentTarget.value)} w={120} />
        <Button type="submit" variant="default" loading={test.isPending}>
          {t("billing.test")}
        </Button>
      </Group>
      <ErrorAlert error={test.error} />
      {result && (
        <Text mt="xs" data-testid="prefix-result" role="status">
          {result.matched
            ? t("billing.matched", {
                prefix: result.prefix || "*",
                description: result.description || "-",
                billable: result.billableSeconds ?? 0,
                cost: result.cost ?? "0",
              })
            : t("billing.noMatch")}
        </Text>
      )}
    </form>
  );
}
