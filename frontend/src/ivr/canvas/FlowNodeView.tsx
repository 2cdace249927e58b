// One flow node on the canvas: its type and label, a target handle on the left, one source
// handle per exit on the right, and what the server or the simulator said about it.
import { Handle, Position, useUpdateNodeInternals, type NodeProps } from "@xyflow/react";
import { memo, useEffect } from "react";
import { useTranslation } from "react-i18next";

import { exitsFor } from "../catalogue";
import { TARGET_HANDLE, type IvrNode } from "../convert";
import { exitLabel, typeTitle } from "./labels";
import { useCanvasView } from "./view";

function FlowNodeViewInner({ id, data, selected }: NodeProps<IvrNode>) {
  const { t } = useTranslation();
  const view = useCanvasView();
  const nodeType = view.catalogue.get(data.nodeType);
  const exits = exitsFor(nodeType, view.wired.get(id) ?? [], data.keys);
  const issues = view.errors.byNode.get(id);
  const steps = view.lit.nodes.get(id);
  const isStart = view.start === id;
  const updateInternals = useUpdateNodeInternals();
  const exitKey = exits.join("|");
  // Handles come and go with menu keys: React Flow must measure them again.
  useEffect(() => updateInternals(id), [exitKey, id, updateInternals]);

  const classes = ["ivr-node"];
  if (selected) classes.push("ivr-node--selected");
  if (issues) classes.push("ivr-node--error");
  if (steps) classes.push("ivr-node--lit");
  if (view.lit.current === id) classes.push("ivr-node--current");
  return (
    <div
      className={classes.join(" ")}
      data-testid={`ivr-node-${id}`}
      data-node-type={data.nodeType}
      data-lit={steps ? "true" : "false"}
      data-steps={steps?.join(",") ?? ""}
      data-errors={issues?.messages.length ?? 0}
    >
      <Handle type="target" position={Position.Left} id={TARGET_HANDLE} className="ivr-handle ivr-handle--in" data-testid={`in-${id}`} />
      <div className="ivr-node__head">
        {isStart && <span className="ivr-node__start">{t("ivr.editor.start")}</span>}
        <span className="ivr-node__type">{typeTitle(t, data.nodeType, nodeType)}</span>
        {steps && (
          <span className="ivr-node__steps" aria-label={`${t("ivr.sim.path")} ${steps.join(", ")}`}>
            {steps.join(" · ")}
          </span>
        )}
      </div>
      <div className="ivr-node__label">{data.label || id}</div>
      {issues && (
        <ul className="ivr-node__errors" role="list">
          {issues.messages.slice(0, 3).map((message, i) => (
            <li key={i}>{message}</li>
          ))}
        </ul>
      )}
      {exits.length > 0 && (
        <ul className="ivr-node__exits" role="list">
          {exits.map((exit) => {
            const exitIssues = issues?.exits[exit];
            return (
              <li key={exit} className={exitIssues ? "ivr-exit ivr-exit--error" : "ivr-exit"} title={exitIssues?.join("\n")}>
                <span>{exitLabel(t, exit)}</span>
                <Handle type="source" position={Position.Right} id={exit} className="ivr-handle" data-testid={`exit-${id}-${exit}`} />
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

export const FlowNodeView = memo(FlowNodeViewInner);
