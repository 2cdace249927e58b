// A property form generated from a node type's JSON Schema: one input per parameter, chosen by
// the schema's type, with the schema's own checks shown under each input.
import { NumberInput, Select, Stack, Switch, Textarea, TextInput } from "@mantine/core";
import type { TFunction } from "i18next";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { checkField, listToText, mapToText, textToList, textToMap, type Field, type FieldProblem } from "../catalogue";
import { fieldLabel, optionLabel } from "./labels";

export type Choices = Record<string, { value: string; label: string }[] | undefined>;

interface Props {
  nodeId: string;
  fields: Field[];
  params: Record<string, unknown>;
  onChange: (params: Record<string, unknown>) => void;
  choices?: Choices; // pick lists for some ids (calendarId, flowId)
  readOnly?: boolean;
}

export function problemText(t: TFunction, problem: FieldProblem | null): string | undefined {
  if (!problem) return undefined;
  return t(`ivr.form.${problem.code}`, { limit: problem.limit, item: problem.item ?? "" });
}

export function ParamsForm({ nodeId, fields, params, onChange, choices = {}, readOnly }: Props) {
  const set = (name: string, value: unknown) => {
    const next = { ...params };
    if (value === undefined) delete next[name];
    else next[name] = value;
    onChange(next);
  };
  return (
    <Stack gap="xs" data-testid="ivr-params">
      {fields.map((field) => (
        <FieldInput key={`${nodeId}:${field.name}`} field={field} value={params[field.name]} onChange={(v) => set(field.name, v)} choices={choices[field.name]} readOnly={readOnly} />
      ))}
    </Stack>
  );
}

interface FieldProps {
  field: Field;
  value: unknown;
  onChange: (value: unknown) => void;
  choices?: { value: string; label: string }[];
  readOnly?: boolean;
}

function numberOf(value: string | number, empty: unknown): unknown {
  if (value === "") return empty;
  return typeof value === "number" ? value : Number(value);
}

function FieldInput({ field, value, onChange, choices, readOnly }: FieldProps) {
  const { t } = useTranslation();
  const common = {
    label: fieldLabel(t, field.name),
    required: field.required,
    error: problemText(t, checkField(field, value)),
    readOnly,
  };
  switch (field.kind) {
    case "longtext":
      return <Textarea {...common} autosize minRows={2} maxRows={6} value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.currentTarget.value)} />;
    case "number":
    case "integer":
    case "optionalInteger":
      return (
        <NumberInput
          {...common}
          allowDecimal={field.kind === "number"}
          value={typeof value === "number" ? value : ""}
          onChange={(v) => onChange(numberOf(v, field.kind === "optionalInteger" ? null : undefined))}
        />
      );
    case "enum": {
      const data = (field.options ?? []).map((o) => ({ value: o, label: optionLabel(t, o) }));
      return <Select {...common} data={data} value={typeof value === "string" ? value : null} allowDeselect={false} onChange={(v) => v !== null && onChange(v)} disabled={readOnly} />;
    }
    case "boolean":
      return <Switch label={common.label} checked={value === true} onChange={(e) => onChange(e.currentTarget.checked)} disabled={readOnly} />;
    case "list":
      return <TextBacked {...common} value={listToText(value)} toValue={textToList} onChange={onChange} description={t("ivr.props.listHint")} />;
    case "map":
      return <TextBacked {...common} multiline value={mapToText(value)} toValue={textToMap} onChange={onChange} description={t("ivr.props.mapHint")} />;
    case "uuid":
      if (choices) {
        return <Select {...common} data={choices} searchable value={typeof value === "string" ? value : null} onChange={(v) => onChange(v ?? undefined)} placeholder={t("ivr.props.notSet")} disabled={readOnly} />;
      }
      return <TextInput {...common} value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.currentTarget.value || undefined)} />;
    default:
      return <TextInput {...common} value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.currentTarget.value)} />;
  }
}

interface TextBackedProps {
  label: string;
  required: boolean;
  error?: string;
  readOnly?: boolean;
  description: string;
  value: string;
  multiline?: boolean;
  toValue: (text: string) => unknown;
  onChange: (value: unknown) => void;
}

/** Lists and maps are typed as text; the text is kept while typing (a half-typed "key=" line
 * would otherwise vanish when turned into a map and back). */
function TextBacked({ value, toValue, onChange, multiline, ...rest }: TextBackedProps) {
  const [text, setText] = useState(value);
  const change = (next: string) => {
    setText(next);
    onChange(toValue(next));
  };
  return multiline ? (
    <Textarea {...rest} autosize minRows={2} value={text} onChange={(e) => change(e.currentTarget.value)} />
  ) : (
    <TextInput {...rest} value={text} onChange={(e) => change(e.currentTarget.value)} />
  );
}
