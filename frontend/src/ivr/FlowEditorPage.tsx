// IVR-1/IVR-3: the flow builder. A React Flow canvas of the flow's draft (or its published
// version when there is no draft), a palette to drag node types from, generated property
// forms, save / validate / publish / versions, and the simulator lighting the path it took.
import "@xyflow/react/dist/style.css";
import "./ivr.css";

import { Alert, Anchor, Badge, Button, Group, ScrollArea, Tabs, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type NodeChange,
  type XYPosition,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router-dom";

import { api, data } from "../api/client";
import { useCalendarOptions } from "../api/lookups";
import { can } from "../auth/permissions";
import { useSession } from "../auth/session";
import { ErrorAlert } from "../components/ErrorAlert";
import { FullPageLoader } from "../components/FullPageLoader";
import { LanguageSwitch } from "../components/LanguageSwitch";
import { ivrKeys, useCatalogue, useFlows } from "./api";
import { byType, defaultParams, formFields } from "./catalogue";
import { ErrorList } from "./canvas/ErrorList";
import { FlowNodeView } from "./canvas/FlowNodeView";
import { exitLabel } from "./canvas/labels";
import { Palette } from "./canvas/Palette";
import { PropertiesPanel } from "./canvas/PropertiesPanel";
import { SimulatorPanel } from "./canvas/SimulatorPanel";
import { VersionsDrawer } from "./canvas/VersionsDrawer";
import { CanvasViewContext, DRAG_TYPE, type CanvasView } from "./canvas/view";
import { connect, edgeId, fromDocument, NODE_KIND, newNodeId, removeNode, toDocument, type IvrEdge, type IvrNode, type IvrNodeData } from "./convert";
import { flowErrorsOf, mapErrors } from "./errors";
import { DARK, lightUpTo, pathSteps, type PathStep } from "./path";
import type { FlowError, FlowOut, JsonSchema, NodeTypeOut, SimulateOut, VersionOut } from "./types";

const NODE_TYPES = { [NODE_KIND]: FlowNodeView };
const EDGE_DEFAULTS = { markerEnd: { type: MarkerType.ArrowClosed, width: 14, height: 14 } };
const STEP_MS = 450; // the path lights one step at a time, so the order can be followed
const DELETE_KEYS = ["Backspace", "Delete"];
const FIT = { maxZoom: 1, padding: 0.15 };

export function FlowEditorPage() {
  const { flowId = "" } = useParams();
  return (
    <ReactFlowProvider>
      <EditorLoader key={flowId} flowId={flowId} />
    </ReactFlowProvider>
  );
}

function EditorLoader({ flowId }: { flowId: string }) {
  const catalogue = useCatalogue();
  const flow = useQuery({
    queryKey: ivrKeys.flow(flowId),
    queryFn: () => data(api.GET("/api/v1/ivr/flows/{flow_id}", { params: { path: { flow_id: flowId } } })),
  });
  const number = flow.data ? (flow.data.draftVersion ?? flow.data.publishedVersion ?? undefined) : undefined;
  const version = useQuery({
    queryKey: ivrKeys.version(flowId, number),
    queryFn: () => data(api.GET("/api/v1/ivr/flows/{flow_id}/versions/{number}", { params: { path: { flow_id: flowId, number: number! } } })),
    enabled: number !== undefined,
    staleTime: Infinity,
  });
  const error = catalogue.error ?? flow.error ?? version.error;
  if (error) return <ErrorAlert error={error} />;
  if (!catalogue.data || !flow.data || !version.data) return <FullPageLoader />;
  return <Editor flow={flow.data} catalogue={catalogue.data} loaded={version.data} />;
}

interface EditorProps {
  flow: FlowOut;
  catalogue: NodeTypeOut[];
  loaded: VersionOut;
}

type Notice = { color: "green" | "red" | "yellow"; text: string } | null;

function Editor({ flow, catalogue, loaded }: EditorProps) {
  const { t } = useTranslation();
  const { me } = useSession();
  const writable = can(me.role, "flows.write");
  const queryClient = useQueryClient();
  const { screenToFlowPosition, setCenter, getNode, fitView } = useReactFlow();
  const wrapper = useRef<HTMLDivElement>(null);

  const initial = useMemo(() => fromDocument(loaded.document), [loaded]);
  const [nodes, setNodes] = useState<IvrNode[]>(initial.nodes);
  const [edges, setEdges] = useState<IvrEdge[]>(initial.edges);
  const [start, setStart] = useState(initial.start);
  const [dirty, setDirty] = useState(false);
  const [errors, setErrors] = useState<FlowError[]>([]);
  const [notice, setNotice] = useState<Notice>(null);
  const [tab, setTab] = useState<string | null>("props");
  const [paletteChoice, setPaletteChoice] = useState<string | null>(null);
  const [steps, setSteps] = useState<PathStep[]>([]);
  const [shown, setShown] = useState(0);
  const [versionsOpen, versionsDrawer] = useDisclosure(false);

  // A rollback (or another tab's publish) loads a different version: show it unless the admin
  // has unsaved edits.
  const loadedId = useRef(loaded.id);
  useEffect(() => {
    if (loadedId.current === loaded.id || dirty) return;
    loadedId.current = loaded.id;
    setNodes(initial.nodes);
    setEdges(initial.edges);
    setStart(initial.start);
  }, [loaded, initial, dirty]);

  // Fit the flow into view once its nodes have been measured (on open and after a reload).
  const measured = useNodesInitialized();
  const fittedFor = useRef<string | null>(null);
  useEffect(() => {
    if (!measured || fittedFor.current === loadedId.current) return;
    fittedFor.current = loadedId.current;
    void fitView(FIT);
  }, [measured, nodes, fitView]);

  // Light the simulator's path one step at a time.
  useEffect(() => {
    if (shown >= steps.length) return;
    const timer = setTimeout(() => setShown((n) => n + 1), STEP_MS);
    return () => clearTimeout(timer);
  }, [shown, steps]);

  const types = useMemo(() => byType(catalogue), [catalogue]);
  const errorMap = useMemo(() => mapErrors(errors, nodes.map((n) => n.id)), [errors, nodes]);
  const lit = useMemo(() => (steps.length ? lightUpTo(steps, shown) : DARK), [steps, shown]);
  const wired = useMemo(() => {
    const map = new Map<string, string[]>();
    for (const e of edges) if (e.sourceHandle) map.set(e.source, [...(map.get(e.source) ?? []), e.sourceHandle]);
    return map;
  }, [edges]);
  const view: CanvasView = useMemo(() => ({ catalogue: types, wired, errors: errorMap, lit, start }), [types, wired, errorMap, lit, start]);
  const shownEdges = useMemo(
    () =>
      edges.map((e) => {
        const on = lit.edges.has(e.id);
        const label = exitLabel(t, e.sourceHandle ?? "");
        return on || e.label !== label ? { ...e, label, animated: on, className: on ? "ivr-edge--lit" : undefined, zIndex: on ? 1 : 0 } : e;
      }),
    [edges, lit, t],
  );

  const selected = nodes.find((n) => n.selected);
  const nodeName = useCallback((id: string) => {
    const node = nodes.find((n) => n.id === id);
    return node?.data.label ? `${node.data.label} (${id})` : id;
  }, [nodes]);
  const document = useCallback(() => toDocument({ start, nodes, edges }), [start, nodes, edges]);
  const edited = () => {
    setDirty(true);
    setNotice(null);
    setSteps([]);
  };

  // --- canvas events ---------------------------------------------------------------------------

  const onNodesChange = useCallback((changes: NodeChange<IvrNode>[]) => {
    if (!writable) changes = changes.filter((c) => c.type === "select" || c.type === "dimensions");
    if (changes.some((c) => c.type === "remove" || (c.type === "position" && c.dragging))) edited();
    setNodes((current) => applyNodeChanges(changes, current));
  }, [writable]);
  const onEdgesChange = useCallback((changes: EdgeChange<IvrEdge>[]) => {
    if (!writable) changes = changes.filter((c) => c.type === "select");
    if (changes.some((c) => c.type === "remove")) edited();
    setEdges((current) => applyEdgeChanges(changes, current));
  }, [writable]);
  const onConnect = useCallback((c: Connection) => {
    const exit = c.sourceHandle;
    if (!exit) return;
    setEdges((current) => connect(current, c.source, exit, c.target));
    edited();
  }, []);

  const addNode = (type: string, position?: XYPosition) => {
    const nodeType = types.get(type);
    if (!nodeType || !writable) return;
    const id = newNodeId(nodes);
    const at = position ?? nextFreeSpot();
    const fresh: IvrNode = {
      id,
      type: NODE_KIND,
      position: at,
      selected: true,
      data: {
        nodeType: type,
        label: "",
        params: defaultParams(formFields(nodeType.paramsSchema as JsonSchema)),
        keys: nodeType.digitExits ? ["1", "2"] : [],
        dangling: {},
        uiExtra: {},
      },
    };
    setNodes((current) => [...current.map((n) => (n.selected ? { ...n, selected: false } : n)), fresh]);
    // A flow whose start node was deleted starts at the next node added.
    if (!nodes.some((n) => n.id === start)) setStart(id);
    setTab("props");
    edited();
  };
  // Keyboard adds land in the middle of the view, a little apart from each other.
  const nextFreeSpot = (): XYPosition => {
    const box = wrapper.current?.getBoundingClientRect();
    const centre = screenToFlowPosition({ x: (box?.left ?? 0) + (box?.width ?? 600) / 2, y: (box?.top ?? 0) + (box?.height ?? 400) / 2 });
    const offset = (nodes.length % 6) * 24;
    return { x: centre.x - 110 + offset, y: centre.y - 40 + offset };
  };
  const onDragOver = (event: DragEvent) => {
    if (!event.dataTransfer.types.includes(DRAG_TYPE)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  };
  const onDrop = (event: DragEvent) => {
    const type = event.dataTransfer.getData(DRAG_TYPE);
    if (!type) return;
    event.preventDefault();
    const at = screenToFlowPosition({ x: event.clientX, y: event.clientY });
    addNode(type, { x: at.x - 20, y: at.y - 20 });
  };

  const changeNode = (id: string, patch: Partial<IvrNodeData>) => {
    setNodes((current) => current.map((n) => (n.id === id ? { ...n, data: { ...n.data, ...patch } } : n)));
    edited();
  };
  const deleteNode = (id: string) => {
    const next = removeNode({ start, nodes, edges }, id);
    setNodes(next.nodes);
    setEdges(next.edges);
    edited();
  };
  const wireExit = (id: string, exit: string, target: string | null) => {
    setEdges((current) => (target ? connect(current, id, exit, target) : current.filter((e) => e.id !== edgeId(id, exit))));
    edited();
  };
  const makeStart = (id: string) => {
    setStart(id);
    edited();
  };
  const pick = (id: string) => {
    setNodes((current) => current.map((n) => ({ ...n, selected: n.id === id })));
    const node = getNode(id);
    if (node) void setCenter(node.position.x + 110, node.position.y + 60, { zoom: 1, duration: 300 });
    setTab("props");
  };

  // --- server actions ----------------------------------------------------------------------------

  const refreshFlow = () => {
    void queryClient.invalidateQueries({ queryKey: ivrKeys.flow(flow.id), exact: true });
    void queryClient.invalidateQueries({ queryKey: ivrKeys.flows });
  };
  const showErrors = (found: FlowError[]) => {
    setErrors(found);
    if (found.length) setTab("errors");
  };
  const save = useMutation({
    mutationFn: () => data(api.PUT("/api/v1/ivr/flows/{flow_id}/draft", { params: { path: { flow_id: flow.id } }, body: { document: document() } })),
    onSuccess: (out) => {
      // The canvas already shows this version: don't reload it.
      loadedId.current = out.version.id;
      queryClient.setQueryData(ivrKeys.version(flow.id, out.version.number), out.version);
      setDirty(false);
      setErrors(out.errors);
      setNotice(out.valid
        ? { color: "green", text: t("ivr.editor.saved", { n: out.version.number }) }
        : { color: "yellow", text: t("ivr.editor.savedWithErrors", { n: out.version.number, count: out.errors.length }) });
      refreshFlow();
    },
  });
  const validate = useMutation({
    mutationFn: async () => {
      if (dirty) return (await save.mutateAsync()).errors;
      // No draft: the canvas shows the published version, which passed validation to go live.
      if (flow.draftVersion == null) return [];
      return (await data(api.POST("/api/v1/ivr/flows/{flow_id}/validate", { params: { path: { flow_id: flow.id } } }))).errors;
    },
    onSuccess: (found) => {
      showErrors(found);
      setNotice(found.length ? { color: "red", text: t("ivr.editor.errors", { count: found.length }) } : { color: "green", text: t("ivr.editor.valid") });
    },
  });
  const publish = useMutation({
    mutationFn: async () => {
      if (dirty) {
        const saved = await save.mutateAsync();
        if (!saved.valid) return { version: null, errors: saved.errors };
      }
      const version = await data(api.POST("/api/v1/ivr/flows/{flow_id}/publish", { params: { path: { flow_id: flow.id } } }));
      return { version, errors: [] };
    },
    onSuccess: ({ version, errors: found }) => {
      if (!version) {
        showErrors(found);
        return;
      }
      setErrors([]);
      setNotice({ color: "green", text: t("ivr.editor.publishedOk", { n: version.number }) });
      refreshFlow();
    },
    onError: (error) => {
      const found = flowErrorsOf(error);
      if (found) showErrors(found);
    },
  });
  const onRolledBack = (version: VersionOut) => {
    setNotice({ color: "green", text: t("ivr.versions.rolledBack", { n: version.number }) });
    versionsDrawer.close();
    refreshFlow();
  };
  const busy = save.isPending || validate.isPending || publish.isPending;

  const onSimulated = (result: SimulateOut | null) => {
    if (!result) {
      setSteps([]);
      return;
    }
    setSteps(pathSteps(result, new Set(edges.map((e) => e.id))));
    setShown(1);
  };

  const flows = useFlows();
  const calendars = useCalendarOptions(can(me.role, "settings.read"));
  const choices = useMemo(() => ({
    calendarId: calendars.data,
    flowId: flows.data?.items.filter((f) => f.publishedVersionId && f.id !== flow.id).map((f) => ({ value: f.id, label: f.name })),
  }), [calendars.data, flows.data, flow.id]);

  const actionError = [save.error, validate.error, publish.error].find((e) => e && !flowErrorsOf(e));
  return (
    <div className="ivr-editor">
      <header className="ivr-editor__bar">
        <Group gap="sm" wrap="nowrap">
          <Anchor component={Link} to="/ivr" size="sm">
            ← {t("ivr.editor.back")}
          </Anchor>
          <Text fw={700} data-testid="ivr-flow-name" truncate maw={220}>
            {flow.name}
          </Text>
          {flow.publishedVersion != null && <Badge color="green">{t("ivr.published")} {t("ivr.version", { n: flow.publishedVersion })}</Badge>}
          {flow.draftVersion != null && <Badge color="gray">{t("ivr.draft")} {t("ivr.version", { n: flow.draftVersion })}</Badge>}
          {dirty && <Badge color="yellow" variant="light" data-testid="ivr-dirty">{t("ivr.editor.unsaved")}</Badge>}
        </Group>
        <Group gap="xs" wrap="nowrap">
          {writable && (
            <>
              <Button size="xs" onClick={() => save.mutate()} loading={save.isPending} disabled={busy && !save.isPending}>
                {t("ivr.editor.save")}
              </Button>
              <Button size="xs" variant="default" onClick={() => validate.mutate()} loading={validate.isPending} disabled={busy && !validate.isPending}>
                {t("ivr.editor.validate")}
              </Button>
              <Button size="xs" color="green" onClick={() => publish.mutate()} loading={publish.isPending} disabled={(busy && !publish.isPending) || (!dirty && flow.draftVersion == null)}>
                {t("ivr.editor.publish")}
              </Button>
            </>
          )}
          <Button size="xs" variant="default" onClick={versionsDrawer.open}>
            {t("ivr.editor.versions")}
          </Button>
          <LanguageSwitch />
        </Group>
      </header>
      {(notice || actionError) && (
        <div className="ivr-editor__notice">
          {notice && (
            <Alert color={notice.color} py={6} role="status" data-testid="ivr-notice" withCloseButton onClose={() => setNotice(null)} closeButtonLabel={t("common.close")}>
              {notice.text}
            </Alert>
          )}
          <ErrorAlert error={actionError} />
        </div>
      )}
      <CanvasViewContext.Provider value={view}>
        <div className="ivr-editor__body">
          <ScrollArea className="ivr-editor__palette">
            <Palette catalogue={catalogue} selected={paletteChoice} onSelect={setPaletteChoice} onAdd={addNode} disabled={!writable} />
          </ScrollArea>
          <div className="ivr-editor__canvas" ref={wrapper} data-testid="ivr-canvas" role="region" aria-label={t("ivr.editor.canvas")} aria-describedby="ivr-canvas-help" onDragOver={onDragOver} onDrop={onDrop}>
            <p id="ivr-canvas-help" className="ivr-sr-only">
              {t("ivr.editor.canvasHelp")}
            </p>
            {!nodes.some((n) => n.id === start) && nodes.length > 0 && (
              <Alert color="yellow" className="ivr-editor__nostart" py={4}>
                {t("ivr.editor.noStart")}
              </Alert>
            )}
            <ReactFlow<IvrNode, IvrEdge>
              nodes={nodes}
              edges={shownEdges}
              nodeTypes={NODE_TYPES}
              defaultEdgeOptions={EDGE_DEFAULTS}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              nodesConnectable={writable}
              nodesDraggable={writable}
              deleteKeyCode={writable ? DELETE_KEYS : null}
              minZoom={0.2}
              proOptions={{ hideAttribution: true }}
            >
              <Background gap={20} />
              <Controls showInteractive={false} />
              <MiniMap pannable zoomable ariaLabel={t("ivr.editor.canvas")} />
            </ReactFlow>
          </div>
          <aside className="ivr-editor__side">
            <Tabs value={tab} onChange={setTab} keepMounted>
              <Tabs.List grow>
                <Tabs.Tab value="props">{t("ivr.props.title")}</Tabs.Tab>
                <Tabs.Tab value="sim">{t("ivr.editor.simulate")}</Tabs.Tab>
                <Tabs.Tab value="errors" color={errors.length ? "red" : undefined} data-testid="ivr-errors-tab">
                  {t("ivr.editor.errors", { count: errors.length })}
                </Tabs.Tab>
              </Tabs.List>
              <ScrollArea className="ivr-editor__panel">
                <Tabs.Panel value="props" p="sm">
                  <PropertiesPanel key={selected?.id ?? ""} node={selected} nodes={nodes} edges={edges} nodeName={nodeName} onWire={wireExit} onChange={changeNode} onMakeStart={makeStart} onRemove={deleteNode} choices={choices} readOnly={!writable} />
                </Tabs.Panel>
                <Tabs.Panel value="sim" p="sm">
                  <SimulatorPanel document={document} onResult={onSimulated} onInvalid={showErrors} onReplay={() => setShown(1)} nodeName={nodeName} />
                </Tabs.Panel>
                <Tabs.Panel value="errors" p="sm">
                  <ErrorList errors={errors} onPick={pick} nodeName={nodeName} />
                </Tabs.Panel>
              </ScrollArea>
            </Tabs>
          </aside>
        </div>
      </CanvasViewContext.Provider>
      <VersionsDrawer flow={flow} opened={versionsOpen} onClose={versionsDrawer.close} onRolledBack={onRolledBack} writable={writable} />
    </div>
  );
}
