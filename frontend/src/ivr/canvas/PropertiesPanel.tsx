// The selected node's label, menu keys, start flag and parameters, plus the server's errors
// about it.
import { Badge, Button, Group, List, Select, Stack, Text, TextInput } from "@mantine/core";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";

import { exitsFor, formFields, parseKeys } from "../catalogue";
import type { IvrEdge, IvrNode, IvrNodeData } from "../convert";
import type { JsonSchema } from "../types";
import { exitLabel, typeTitle } from "./labels";
import { ParamsForm, type Choices } from "./ParamsForm";
import { useCanvasView } from "./view";

interface Props {
  node: IvrNode | undefined;
  nodes: IvrNode[];
  edges: IvrEdge[];
  nodeName: (id: string) => string;
  onWire: (id: string, exit: string, target: string | null) => void;
  onChange: (id: string, patch: Partial<IvrNodeData>) => void;
  onMakeStart: (id: string) => void;
  onRemove: (id: string) => void;
  choices?: Choices;
  readOnly?: boolean;
}

export function PropertiesPanel({ node, nodes, edges, nodeName, onWire, onChange, onMakeStart, onRemove, choices, readOnly }: Props) {
  const { t } = useTranslation();
  const view = useCanvasView();
  const nodeType = node ? view.catalogue.get(node.data.nodeType) : undefined;
  const fields = useMemo(() => formFields((nodeType?.paramsSchema ?? {}) as JsonSchema), [nodeType]);
  if (!node) {
    return (
      <Text size="sm" c="dimmed" data-testid="ivr-props-empty">
        {t("ivr.props.empty")}
      </Text>
    );
  }
  const issues = view.errors.byNode.get(node.id);
  const isStart = view.start === node.id;
  return (
    <Stack gap="sm" data-testid="ivr-props">
      <Group justify="space-between" wrap="nowrap">
        <Text fw={700}>{typeTitle(t, node.data.nodeType, nodeType)}</Text>
        {isStart && <Badge>{t("ivr.editor.start")}</Badge>}
      </Group>
      <Text size="xs" c="dimmed">
        {t("ivr.props.id", { id: node.id })}
      </Text>
      {nodeType?.description && (
        <Text size="xs" c="dimmed">
          {nodeType.description}
        </Text>
      )}
      {issues && (
        <List size="sm" c="red" data-testid="ivr-props-errors">
          {issues.messages.map((m, i) => (
            <List.Item key={i}>{m}</List.Item>
          ))}
        </List>
      )}
      <TextInput label={t("ivr.props.label")} value={node.data.label} readOnly={readOnly} onChange={(e) => onChange(node.id, { label: e.currentTarget.value })} />
      {nodeType?.digitExits && <KeysInput key={node.id} keys={node.data.keys} readOnly={readOnly} onChange={(keys) => onChange(node.id, { keys })} />}
      <ParamsForm nodeId={node.id} fields={fields} params={node.data.params} choices={choices} readOnly={readOnly} onChange={(params) => onChange(node.id, { params })} />
      <ExitTargets node={node} nodes={nodes} edges={edges} nodeName={nodeName} onWire={onWire} readOnly={readOnly} />
      {!readOnly && (
        <Group gap="xs">
          {isStart ? (
            <Text size="xs" c="dimmed">
              {t("ivr.props.isStart")}
            </Text>
          ) : (
            <Button size="xs" variant="default" onClick={() => onMakeStart(node.id)}>
              {t("ivr.props.setStart")}
            </Button>
          )}
          <Button size="xs" color="red" variant="light" onClick={() => onRemove(node.id)}>
            {t("ivr.props.remove")}
          </Button>
        </Group>
      )}
    </Stack>
  );
}

function KeysInput({ keys, onChange, readOnly }: { keys: string[]; onChange: (keys: string[]) => void; readOnly?: boolean }) {
  const { t } = useTranslation();
  const [text, setText] = useState(keys.join(""));
  return (
    <TextInput
      label={t("ivr.props.keys")}
      description={t("ivr.props.keysHint")}
      value={text}
      readOnly={readOnly}
      onChange={(e) => {
        setText(e.currentTarget.value);
        onChange(parseKeys(e.currentTarget.value));
      }}
    />
  );
}

interface ExitProps {
  node: IvrNode;
  nodes: IvrNode[];
  edges: IvrEdge[];
  nodeName: (id: string) => string;
  onWire: (id: string, exit: string, target: string | null) => void;
  readOnly?: boolean;
}

/** Each exit and where it leads: the same wiring as dragging a handle, for the keyboard. */
function ExitTargets({ node, nodes, edges, nodeName, onWire, readOnly }: ExitProps) {
  const { t } = useTranslation();
  const view = useCanvasView();
  const mine = edges.filter((e) => e.source === node.id);
  const exits = exitsFor(view.catalogue.get(node.data.nodeType), mine.map((e) => e.sourceHandle ?? ""), node.data.keys);
  if (exits.length === 0) return null;
  const targets = nodes.map((n) => ({ value: n.id, label: nodeName(n.id) }));
  const issues = view.errors.byNode.get(node.id)?.exits ?? {};
  return (
    <Stack gap={6} data-testid="ivr-props-exits">
      <Text size="sm" fw={500}>
        {t("ivr.props.exits")}
      </Text>
      {exits.map((exit) => (
        <Select
          key={exit}
          size="xs"
          label={`${t("ivr.props.exit")} ${exitLabel(t, exit)}`}
          data={targets}
          value={mine.find((e) => e.sourceHandle === exit)?.target ?? null}
          onChange={(target) => onWire(node.id, exit, target)}
          placeholder={t("ivr.props.notSet")}
          clearable
          disabled={readOnly}
          error={issues[exit]?.join(" ")}
        />
      ))}
    </Stack>
  );
}
