// The dashboard's contract: what the JSON API answers and what the `/dashboard` socket.io
// namespace pushes. The server is typed by these, and static/dashboard.js imports them in
// JSDoc (`// @ts-check`, checked by `npm run typecheck`), so a field renamed here or in
// the models below fails the build of both sides, not only the browser test.
import type { ObjectEntryView } from '../head/object-directory.js';
import type { DemandInfo, NodeInfo } from '../protocol/messages.js';
import type { ExperimentState } from './experiments.js';

export type { DemandInfo, ExperimentState, NodeInfo, ObjectEntryView };
export type { MetricPoint, TrialState } from './experiments.js';

/** Tasks of one node or one function, by state. */
export interface TaskCounts {
  running: number;
  queued: number;
  finished: number;
  failed: number;
}

export interface NodeView extends NodeInfo {
  tasks: TaskCounts;
}

export interface ActorView {
  actorId: string;
  className: string;
  name: string;
  state: string;
  nodeId: string;
  restarts: number;
  deathReason: string;
}

export interface LogLine {
  time: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** `GET /api/nodes`. */
export interface NodesView {
  nodes: NodeView[];
  pendingTasks: number;
  demands: DemandInfo[];
}

/** One live task in `GET /api/tasks`. */
export interface TaskView {
  taskId: string;
  name: string;
  kind: string;
  state: string;
  nodeId: string;
}

/** `GET /api/tasks`. */
export interface TasksView {
  byFunction: ({ name: string } & TaskCounts)[];
  tasks: TaskView[];
}

/** `GET /api/logs?node=ID`: what tasks printed there, and the head's own log file on the head. */
export interface LogsView {
  nodeId: string;
  lines: LogLine[];
  file?: { path: string; tail: string };
}

/** The answer of each `GET` path of the JSON API. */
export interface DashboardApi {
  '/api/nodes': NodesView;
  '/api/tasks': TasksView;
  '/api/actors': { actors: ActorView[] };
  '/api/objects': { count: number; objects: ObjectEntryView[] };
  '/api/experiments': { experiments: ExperimentState[] };
  '/api/logs': LogsView;
}

/** The body of each `POST` action (with the page's X-CSRF-Token header). */
export interface DashboardActions {
  '/api/actors/kill': { actorId: string };
  '/api/tasks/cancel': { taskId: string; force?: boolean };
}

/** The `cluster` push: the nodes, tasks and actors pages' state in one. */
export type ClusterState = NodesView & TasksView & { actors: ActorView[] };

/** Events the server emits on the `/dashboard` namespace (the pages send none). */
export interface DashboardEvents {
  cluster: (state: ClusterState) => void;
  experiments: (experiments: ExperimentState[]) => void;
}
