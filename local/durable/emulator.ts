/**
 * Durable Task emulator: plays the part of the Durable Functions extension for the local host.
 *
 * Orchestrators run through the durable-functions SDK's own replay: at each step ("episode") the emulator sends the
 * full history (ReplaySchema V3) to the orchestrator function, reads back the actions it returns and turns the new ones
 * into history events and work (activities, timers, sub-orchestrations), as the extension does. Event ids follow the
 * SDK's sequence numbering, including the ids it takes itself for host-side retries and long timers.
 *
 * The working state is in memory; with a store (local/durable/store.ts: the task hub's tables in Azurite) every change
 * is written through it, per instance in order, and an episode's history and status are stored before the work it
 * scheduled starts. `load()` reads the store back after a restart and resumes what was running: undelivered events
 * are delivered, activities scheduled without a recorded result run again (at least once: a second result for the
 * same task is ignored), timers are armed again, sub-orchestrations are resumed or started.
 */
import { randomUUID } from 'node:crypto';
import { Clock } from '../host/clock';
import { event, EventType, failureOf, fromJsonText, HistoryEvent, toJsonText } from './history';
import { RetryOptions, retryDelayMs, retryTimedOut } from './retry';
import { Checkpoint, DurableStore, InstanceRecord, LoadedInstance, Write } from './store';

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Terminated';
const TERMINAL: RuntimeStatus[] = ['Completed', 'Failed', 'Terminated'];

/** How the emulator calls app functions: returns the decoded return value or throws the function's error. */
export interface FunctionRunner {
  runOrchestrator(name: string, bindingInfo: unknown): Promise<OrchestratorOutcome>;
  runActivity(name: string, input: unknown): Promise<unknown>;
  hasFunction(name: string, triggerType: 'orchestrationTrigger' | 'activityTrigger'): boolean;
}

export interface OrchestratorState {
  isDone: boolean;
  actions: unknown[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  failureDetails?: { ErrorType?: string; ErrorMessage?: string; StackTrace?: string };
}

export type OrchestratorOutcome = { state: OrchestratorState } | { error: Error; state?: OrchestratorState };

interface Action {
  actionType: number;
  functionName?: string;
  input?: unknown;
  retryOptions?: RetryOptions;
  fireAt?: string;
  instanceId?: string;
  externalEventName?: string;
  compoundActions?: Action[];
}

const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
} as const;

/** What an event id stands for, so completions can be routed (retries, long timers). */
type Slot =
  { kind: 'task'; retry?: RetryGroup } | { kind: 'timer'; longTimer?: { finalFireAt: Date } } | { kind: 'retryTimer'; retry: RetryGroup };

interface RetryGroup {
  target: 'activity' | 'orchestrator';
  name: string;
  input: unknown;
  instanceId?: string;
  options: RetryOptions;
  attempt: number;
  firstAttemptAt: Date;
  timedOut: boolean;
}

export interface Instance {
  instanceId: string;
  name: string;
  input: unknown;
  status: RuntimeStatus;
  createdTime: Date;
  lastUpdatedTime: Date;
  customStatus?: unknown;
  output?: unknown;
  failureDetails?: OrchestratorState['failureDetails'];
  history: HistoryEvent[];
  /** Events delivered but not yet shown to the orchestrator. */
  inbox: HistoryEvent[];
  /** The flattened actions the orchestrator has returned so far, to detect non-determinism. */
  actionLog: string[];
  nextEventId: number;
  slots: Map<number, Slot>;
  parent?: { instanceId: string; taskScheduledId: number };
  busy: boolean;
  cancelTimers: (() => void)[];
  generation: number;
  /** Ids whose completion (result, failure, timer fired) has been delivered: a second one is dropped. */
  doneIds: Set<number>;
  nextPendingSeq: number;
  /** How much of this generation has been handed to the store; each write carries only what came after. */
  stored: { historyCount: number; actionCount: number; actionRows: number; pendingFrom: number };
  /** False for a finished instance read back after a restart, until its history is asked for. */
  historyLoaded: boolean;
}

export interface EmulatorOptions {
  clock: Clock;
  runner: FunctionRunner;
  taskHubName: string;
  maxConcurrentActivities?: number;
  /** As the Azure Storage provider: timers longer than this are split by the SDK into intervals. */
  maximumShortTimerDuration?: string;
  longRunningTimerIntervalDuration?: string;
  log?: (message: string) => void;
  /** Where the state is kept across restarts; without one, it lives in memory only. */
  store?: DurableStore;
}

const SCHEMA_V3 = 2;

export class DurableEmulator {
  readonly instances = new Map<string, Instance>();
  private readonly activityQueue: (() => Promise<void>)[] = [];
  private activeActivities = 0;
  private readonly idleWaiters: (() => void)[] = [];
  /** Counters for the closing-note numbers (episodes run, events replayed, activities run). */
  readonly stats = { episodes: 0, eventsReplayed: 0, activities: 0 };
  /** The pending-row sequence number of each delivered event (the implicit ExecutionStarted has none). */
  private readonly pendingSeqs = new WeakMap<HistoryEvent, number>();
  private closed = false;

  constructor(private readonly options: EmulatorOptions) {}

  private get clock(): Clock {
    return this.options.clock;
  }

  // ---- client operations -------------------------------------------------------------------------------------

  /**
   * Starts an orchestration. Like the extension's default (overridable states = non-running), an id whose instance
   * is still Pending or Running is refused; a finished one is replaced by a fresh instance.
   */
  startNew(name: string, input: unknown, instanceId: string = randomUUID().replace(/-/g, ''), parent?: Instance['parent']): Instance {
    if (!this.options.runner.hasFunction(name, 'orchestrationTrigger')) {
      throw new EmulatorError(400, `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`);
    }
    const existing = this.instances.get(instanceId);
    if (existing && !TERMINAL.includes(existing.status)) {
      throw new EmulatorError(409, `An instance with ID '${instanceId}' already exists and is ${existing.status}.`);
    }
    existing?.cancelTimers.forEach((cancel) => cancel());
    const now = this.clock.now();
    const generation = (existing?.generation ?? 0) + 1;
    const instance: Instance = {
      instanceId,
      name,
      input,
      status: 'Pending',
      createdTime: now,
      lastUpdatedTime: now,
      history: [],
      inbox: [event(EventType.ExecutionStarted, now, { Name: name, Input: toJsonText(input), ParentInstance: parent })],
      actionLog: [],
      nextEventId: 0,
      slots: new Map(),
      parent,
      busy: false,
      cancelTimers: [],
      generation,
      doneIds: new Set(),
      nextPendingSeq: existing?.nextPendingSeq ?? 0,
      stored: { historyCount: 0, actionCount: 0, actionRows: 0, pendingFrom: existing?.nextPendingSeq ?? 0 },
      historyLoaded: true,
    };
    this.instances.set(instanceId, instance);
    this.options.log?.(`Orchestration '${name}' scheduled with instance id ${instanceId}.`);
    // The replaced instance's rows go: all of them when they were never read back (then the partition is cleared).
    const replaced: Write = !existing
      ? {}
      : existing.historyLoaded
        ? { staleGenerations: [{ generation: existing.generation, ...existing.stored }] }
        : { purge: true };
    void this.persist(instance, replaced);
    this.schedule(instance);
    return instance;
  }

  raiseEvent(instanceId: string, name: string, data: unknown): 'accepted' | 'gone' {
    const instance = this.get(instanceId);
    if (TERMINAL.includes(instance.status)) return 'gone';
    this.deliver(instance, event(EventType.EventRaised, this.clock.now(), { Name: name, Input: toJsonText(data) }));
    return 'accepted';
  }

  terminate(instanceId: string, reason: string): 'accepted' | 'gone' {
    const instance = this.get(instanceId);
    if (TERMINAL.includes(instance.status)) return 'gone';
    instance.cancelTimers.forEach((cancel) => cancel());
    instance.inbox = [];
    instance.history.push(event(EventType.ExecutionTerminated, this.clock.now(), { Input: reason }));
    this.finish(instance, 'Terminated', reason);
    void this.persist(instance);
    return 'accepted';
  }

  /** Deletes a finished instance and its history; running instances are kept. Returns how many were deleted. */
  purge(instanceId: string): number {
    const instance = this.instances.get(instanceId);
    if (!instance || !TERMINAL.includes(instance.status)) return 0;
    this.instances.delete(instanceId);
    const { historyCount, actionRows, pendingFrom } = instance.stored;
    const pendingSeqs = range(pendingFrom, instance.nextPendingSeq);
    void this.write(instance, {
      purge: instance.historyLoaded ? { generation: instance.generation, historyCount, actionRows, pendingSeqs } : true,
    });
    return 1;
  }

  /** Waits for the writes in flight, then stops: nothing runs or is stored afterwards (as a host that has stopped). */
  async close(): Promise<void> {
    await Promise.all([...this.instances.keys()].map((id) => this.flushed(id)));
    this.closed = true;
    this.instances.forEach((instance) => instance.cancelTimers.forEach((cancel) => cancel()));
  }

  /** Resolves once everything done to the instance so far is stored (the RPC endpoints answer after it). */
  flushed(instanceId: string): Promise<void> {
    return this.options.store?.flushed(instanceId) ?? Promise.resolve();
  }

  /** The history of a finished instance read back after a restart is read from the store when first asked for. */
  async ensureHistory(instance: Instance): Promise<void> {
    if (instance.historyLoaded || !this.options.store) return;
    const loaded = await this.options.store.partition(recordOf(instance));
    if (instance.historyLoaded) return;
    instance.history = loaded.history;
    instance.actionLog = loaded.actionLog;
    instance.stored = storedOf(loaded);
    instance.historyLoaded = true;
  }

  get(instanceId: string): Instance {
    const instance = this.instances.get(instanceId);
    if (!instance) throw new EmulatorError(404, `No instance with ID '${instanceId}' found.`);
    return instance;
  }

  /** Resolves once no orchestration step, activity or delivered event is pending (timers may still wait). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Replays a finished instance's history through its orchestrator once more and returns the actions it yields; a
   * deterministic orchestrator yields exactly the actions recorded when it ran.
   */
  async replay(instanceId: string): Promise<{ actions: string[]; recorded: string[] }> {
    const instance = this.get(instanceId);
    await this.ensureHistory(instance);
    const outcome = await this.options.runner.runOrchestrator(instance.name, this.bindingInfo(instance, instance.history));
    const state = 'state' in outcome && outcome.state ? outcome.state : undefined;
    const actions = state ? flatten(state.actions).map(describe) : [];
    return { actions, recorded: [...instance.actionLog] };
  }

  // ---- the orchestration loop --------------------------------------------------------------------------------

  private isIdle(): boolean {
    if (this.activeActivities > 0 || this.activityQueue.length > 0 || (this.options.store?.busy() ?? 0) > 0) return false;
    for (const instance of this.instances.values()) {
      if (instance.busy || (instance.inbox.length > 0 && !TERMINAL.includes(instance.status))) return false;
    }
    return true;
  }

  private checkIdle(): void {
    if (this.idleWaiters.length && this.isIdle()) {
      setImmediate(() => {
        if (!this.isIdle()) return;
        this.idleWaiters.splice(0).forEach((resolve) => resolve());
      });
    }
  }

  private deliver(instance: Instance, historyEvent: HistoryEvent): void {
    if (TERMINAL.includes(instance.status)) return;
    // At-least-once delivery (an activity run again after a restart): the extension keeps only the first result.
    const id = completionId(historyEvent);
    if (id !== undefined) {
      if (instance.doneIds.has(id)) return;
      instance.doneIds.add(id);
    }
    const seq = instance.nextPendingSeq++;
    this.pendingSeqs.set(historyEvent, seq);
    void this.write(instance, { pendingInserts: [{ generation: instance.generation, seq, event: historyEvent }] });
    instance.inbox.push(historyEvent);
    this.schedule(instance);
  }

  // ---- persistence -------------------------------------------------------------------------------------------

  /** Hands the store what changed since the last write: new history and actions, consumed events, the checkpoint. */
  private persist(instance: Instance, extra: Write = {}): Promise<void> {
    if (!this.options.store) return Promise.resolve();
    const stored = instance.stored;
    const write: Write = { ...extra };
    if (instance.history.length > stored.historyCount) {
      write.history = { generation: instance.generation, from: stored.historyCount, events: instance.history.slice(stored.historyCount) };
      stored.historyCount = instance.history.length;
    }
    if (instance.actionLog.length > stored.actionCount) {
      write.actions = {
        generation: instance.generation,
        row: stored.actionRows++,
        described: instance.actionLog.slice(stored.actionCount),
      };
      stored.actionCount = instance.actionLog.length;
    }
    const waiting = instance.inbox.map((e) => this.pendingSeqs.get(e)).filter((seq): seq is number => seq !== undefined);
    const pendingFrom = waiting.length ? Math.min(...waiting) : instance.nextPendingSeq;
    write.pendingDeletes = [...(write.pendingDeletes ?? [])];
    for (let seq = stored.pendingFrom; seq < pendingFrom; seq++) write.pendingDeletes.push({ generation: instance.generation, seq });
    stored.pendingFrom = Math.max(stored.pendingFrom, pendingFrom);
    write.checkpoint = {
      generation: instance.generation,
      historyCount: stored.historyCount,
      actionRows: stored.actionRows,
      nextEventId: instance.nextEventId,
      pendingFrom: stored.pendingFrom,
      nextPendingSeq: instance.nextPendingSeq,
      status: instance.status,
      output: instance.output,
      customStatus: instance.customStatus,
      failureDetails: instance.failureDetails,
      lastUpdatedTime: instance.lastUpdatedTime.toISOString(),
      slots: serialiseSlots(instance),
    };
    write.record = recordOf(instance);
    return this.write(instance, write);
  }

  private write(instance: Instance, write: Write): Promise<void> {
    const store = this.options.store;
    if (!store || this.closed) return Promise.resolve();
    return store
      .write(instance.instanceId, write)
      .catch((err: Error) => this.options.log?.(`Durable store: ${instance.instanceId} could not be stored: ${err.message}`))
      .finally(() => this.checkIdle());
  }

  /**
   * Reads the store back after a restart: every instance, and for each unfinished one its history, pending events
   * and retry state; then resumes them. Call once, before anything starts orchestrations.
   */
  async load(): Promise<void> {
    const store = this.options.store;
    if (!store) return;
    const resumed: Instance[] = [];
    for (const record of await store.records()) {
      if (TERMINAL.includes(record.status as RuntimeStatus)) {
        this.instances.set(record.instanceId, instanceOf(record));
        continue;
      }
      const loaded = await store.partition(record);
      const instance = instanceOf(record, loaded);
      for (const { seq, event: e } of loaded.pending) this.pendingSeqs.set(e, seq);
      this.instances.set(record.instanceId, instance);
      if (TERMINAL.includes(instance.status)) void this.write(instance, { record: recordOf(instance) });
      else resumed.push(instance);
    }
    for (const instance of resumed) this.resume(instance);
    if (resumed.length) this.options.log?.(`Resumed ${resumed.length} unfinished orchestration(s) from the task hub.`);
  }

  /** Re-issues the work an unfinished instance was waiting for when the host stopped. */
  private resume(instance: Instance): void {
    for (const e of instance.history) {
      if (e.EventId < 0 || instance.doneIds.has(e.EventId)) continue;
      const input = fromJsonText(e.Input);
      if (e.EventType === EventType.TaskScheduled) {
        const slot = instance.slots.get(e.EventId);
        const retry = slot?.kind === 'task' ? slot.retry : undefined;
        if (retry?.timedOut && retry.attempt > 1) this.deliver(instance, this.retryTimeoutFailure(e.EventId, retry));
        else this.runActivity(instance, e.EventId, String(e.Name), input);
      } else if (e.EventType === EventType.TimerCreated) {
        this.armTimer(instance, e.EventId, new Date(String(e.FireAt)));
      } else if (e.EventType === EventType.SubOrchestrationInstanceCreated) {
        const child = this.instances.get(String(e.InstanceId));
        const ours = child?.parent?.instanceId === instance.instanceId && child.parent.taskScheduledId === e.EventId;
        if (!child || !ours) this.startChild(instance, e.EventId, String(e.Name), input, String(e.InstanceId));
        else if (TERMINAL.includes(child.status)) this.deliver(instance, this.completionOf(child, e.EventId));
      }
    }
    this.schedule(instance);
  }

  private schedule(instance: Instance): void {
    if (this.closed) return;
    if (instance.busy || instance.inbox.length === 0) return this.checkIdle();
    instance.busy = true;
    setImmediate(() => {
      this.runEpisode(instance)
        .catch((err: Error) => {
          this.options.log?.(`Emulator error in ${instance.instanceId}: ${err.stack ?? err.message}`);
          this.fail(instance, err);
          return this.persist(instance);
        })
        .finally(() => {
          instance.busy = false;
          this.schedule(instance);
        });
    });
  }

  /** Does processing `e` make the SDK take event ids of its own (retry timers, retried attempts, long timers)? */
  private allocates(instance: Instance, e: HistoryEvent, now: Date): boolean {
    if (e.EventType === EventType.TaskFailed || e.EventType === EventType.SubOrchestrationInstanceFailed) {
      const slot = instance.slots.get(e.TaskScheduledId as number);
      return slot?.kind === 'task' && !!slot.retry;
    }
    if (e.EventType === EventType.TimerFired) {
      const slot = instance.slots.get(e.TimerId as number);
      if (slot?.kind === 'retryTimer') return slot.retry.attempt < slot.retry.options.maxNumberOfAttempts;
      if (slot?.kind === 'timer' && slot.longTimer) return slot.longTimer.finalFireAt.getTime() > now.getTime();
    }
    return false;
  }

  /**
   * Takes the next batch of delivered events. An event that makes the SDK allocate ids goes alone, so the ids the
   * SDK takes while processing it come before the ids of whatever the orchestrator then yields.
   */
  private takeBatch(instance: Instance, now: Date): HistoryEvent[] {
    if (this.allocates(instance, instance.inbox[0], now)) return instance.inbox.splice(0, 1);
    let count = 0;
    while (count < instance.inbox.length && !this.allocates(instance, instance.inbox[count], now)) count++;
    return instance.inbox.splice(0, count);
  }

  private bindingInfo(instance: Instance, history: HistoryEvent[]): unknown {
    return {
      history,
      input: instance.input,
      instanceId: instance.instanceId,
      isReplaying: history.filter((e) => e.EventType === EventType.OrchestratorStarted).length > 1,
      parentInstanceId: instance.parent?.instanceId,
      upperSchemaVersion: SCHEMA_V3,
      maximumShortTimerDuration: this.options.maximumShortTimerDuration ?? '6.00:00:00',
      longRunningTimerIntervalDuration: this.options.longRunningTimerIntervalDuration ?? '3.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
  }

  private async runEpisode(instance: Instance): Promise<void> {
    if (TERMINAL.includes(instance.status)) {
      instance.inbox = [];
      return;
    }
    const generation = instance.generation;
    const now = this.clock.now();
    const batch = this.takeBatch(instance, now);
    const started = event(EventType.OrchestratorStarted, now);
    const history = [...instance.history.map((e) => ({ ...e, IsPlayed: true })), started, ...batch];
    instance.status = 'Running';
    this.stats.episodes++;
    this.stats.eventsReplayed += history.length;

    const outcome = await this.options.runner.runOrchestrator(instance.name, this.bindingInfo(instance, history));
    if (instance.generation !== generation || TERMINAL.includes(instance.status)) return; // terminated meanwhile
    instance.history = history;
    instance.lastUpdatedTime = this.clock.now();

    const state = outcome.state;
    if (state && 'customStatus' in state) instance.customStatus = state.customStatus;
    const work: (() => void)[] = [];
    const allocated = batch.length === 1 ? this.allocateForSdk(instance, batch[0], now, work) : [];
    const leaves = state ? flatten(state.actions) : [];
    const newLeaves = this.checkDeterminism(instance, leaves);
    const newEvents = [...allocated];
    for (const leaf of newLeaves) newEvents.push(...this.scheduleAction(instance, leaf, now, work));
    instance.history.push(...newEvents, event(EventType.OrchestratorCompleted, now));
    const extra = this.conclude(instance, outcome, leaves, now);
    // Nothing the episode scheduled starts before the episode is stored: a crash never runs unrecorded work.
    await this.persist(instance, extra);
    if (!TERMINAL.includes(instance.status) && instance.generation === generation) work.forEach((start) => start());
  }

  /** Ends the orchestration if the episode did; returns what a continue-as-new leaves to delete. */
  private conclude(instance: Instance, outcome: OrchestratorOutcome, leaves: Action[], now: Date): Write {
    const state = outcome.state;
    if ('error' in outcome) {
      // The SDK puts the orchestrator's own error in the state it attaches; the thrown message is only a wrapper.
      const error = state?.error ? Object.assign(new Error(state.error), { stack: outcome.error.stack }) : outcome.error;
      this.fail(instance, error, state?.failureDetails);
      return {};
    }
    if (!state?.isDone) return {};
    const continueAsNew = leaves.find((a) => a.actionType === ActionType.ContinueAsNew);
    if (continueAsNew) return this.continueAsNew(instance, normaliseInput(continueAsNew.input));
    instance.history.push(event(EventType.ExecutionCompleted, now, { OrchestrationStatus: 'Completed', Result: toJsonText(state.output) }));
    this.finish(instance, 'Completed', state.output);
    return {};
  }

  /** Compares the replayed actions with those recorded before; returns the new ones or throws on a mismatch. */
  private checkDeterminism(instance: Instance, leaves: Action[]): Action[] {
    const described = leaves.map(describe);
    const known = instance.actionLog.length;
    for (let i = 0; i < Math.min(known, described.length); i++) {
      if (described[i] !== instance.actionLog[i]) {
        throw new NonDeterminismError(
          `Non-deterministic workflow detected: action #${i} was '${instance.actionLog[i]}' when the orchestration first ran, but replay produced '${described[i]}'.`,
        );
      }
    }
    instance.actionLog.push(...described.slice(known));
    return leaves.slice(known);
  }

  private takeId(instance: Instance, slot: Slot): number {
    const id = instance.nextEventId++;
    instance.slots.set(id, slot);
    return id;
  }

  /** Turns one new action into history events; work that must wait until they are recorded goes into `work`. */
  private scheduleAction(instance: Instance, action: Action, now: Date, work: (() => void)[]): HistoryEvent[] {
    switch (action.actionType) {
      case ActionType.CallActivity:
      case ActionType.CallActivityWithRetry: {
        const input = normaliseInput(action.input);
        const retry = action.retryOptions && this.retryGroup('activity', action, input, now);
        const id = this.takeId(instance, { kind: 'task', retry });
        work.push(() => this.runActivity(instance, id, action.functionName as string, input));
        return [event(EventType.TaskScheduled, now, { Name: action.functionName, Input: toJsonText(input) }, id)];
      }
      case ActionType.CallSubOrchestrator:
      case ActionType.CallSubOrchestratorWithRetry: {
        const input = normaliseInput(action.input);
        const retry = action.retryOptions && this.retryGroup('orchestrator', action, input, now);
        const id = this.takeId(instance, { kind: 'task', retry });
        const childId = action.instanceId || `${instance.instanceId}:${id.toString(16).padStart(4, '0')}`;
        work.push(() => this.startChild(instance, id, action.functionName as string, input, childId));
        return [
          event(
            EventType.SubOrchestrationInstanceCreated,
            now,
            { Name: action.functionName, Input: toJsonText(input), InstanceId: childId },
            id,
          ),
        ];
      }
      case ActionType.CreateTimer: {
        const finalFireAt = new Date(action.fireAt as string);
        const fireAt = this.nextTimerFireAt(finalFireAt, now);
        const isLong = fireAt.getTime() !== finalFireAt.getTime();
        const id = this.takeId(instance, { kind: 'timer', longTimer: isLong ? { finalFireAt } : undefined });
        return [this.createTimer(instance, id, fireAt, now)];
      }
      case ActionType.WaitForExternalEvent:
        return [];
      case ActionType.ContinueAsNew:
        return [];
      default:
        throw new Error(
          `The local Durable emulator does not support action type ${action.actionType} (entities and durable HTTP are not emulated).`,
        );
    }
  }

  private retryGroup(target: RetryGroup['target'], action: Action, input: unknown, now: Date): RetryGroup {
    return {
      target,
      name: action.functionName as string,
      input,
      instanceId: action.instanceId,
      options: action.retryOptions as RetryOptions,
      attempt: 1,
      firstAttemptAt: now,
      timedOut: false,
    };
  }

  /** Long timers run in intervals, exactly as the SDK expects (it decides from the same two durations). */
  private nextTimerFireAt(finalFireAt: Date, now: Date): Date {
    const maxShort = timeSpanMs(this.options.maximumShortTimerDuration ?? '6.00:00:00');
    const interval = timeSpanMs(this.options.longRunningTimerIntervalDuration ?? '3.00:00:00');
    return finalFireAt.getTime() - now.getTime() > maxShort ? new Date(now.getTime() + interval) : finalFireAt;
  }

  private createTimer(instance: Instance, id: number, fireAt: Date, now: Date): HistoryEvent {
    this.armTimer(instance, id, fireAt);
    return event(EventType.TimerCreated, now, { FireAt: fireAt.toISOString() }, id);
  }

  private armTimer(instance: Instance, id: number, fireAt: Date): void {
    const generation = instance.generation;
    const cancel = this.clock.at(fireAt, () => {
      if (instance.generation !== generation) return;
      this.deliver(instance, event(EventType.TimerFired, this.clock.now(), { TimerId: id, FireAt: fireAt.toISOString() }));
    });
    instance.cancelTimers.push(cancel);
  }

  /** The ids the SDK takes while it processes `e`, and the work the extension does for them. */
  private allocateForSdk(instance: Instance, e: HistoryEvent, now: Date, work: (() => void)[]): HistoryEvent[] {
    if (!this.allocates(instance, e, now)) return [];
    if (e.EventType === EventType.TimerFired) {
      const slot = instance.slots.get(e.TimerId as number) as Slot;
      if (slot.kind === 'timer' && slot.longTimer) {
        const finalFireAt = slot.longTimer.finalFireAt;
        const fireAt = this.nextTimerFireAt(finalFireAt, now);
        const id = this.takeId(instance, { kind: 'timer', longTimer: fireAt < finalFireAt ? { finalFireAt } : undefined });
        return [this.createTimer(instance, id, fireAt, now)];
      }
      if (slot.kind === 'retryTimer') return [this.retryAttempt(instance, slot.retry, now, work)];
      return [];
    }
    // A failed attempt of a retried task: the SDK now waits for a retry timer, also after the last attempt.
    const slot = instance.slots.get(e.TaskScheduledId as number) as Extract<Slot, { kind: 'task' }>;
    const retry = slot.retry as RetryGroup;
    retry.timedOut = retryTimedOut(retry.options, retry.firstAttemptAt, now);
    const delay = retry.timedOut ? 0 : retryDelayMs(retry.options, retry.attempt);
    const id = this.takeId(instance, { kind: 'retryTimer', retry });
    return [this.createTimer(instance, id, new Date(now.getTime() + delay), now)];
  }

  private retryAttempt(instance: Instance, retry: RetryGroup, now: Date, work: (() => void)[]): HistoryEvent {
    retry.attempt++;
    const id = this.takeId(instance, { kind: 'task', retry });
    if (retry.target === 'activity') {
      // Past the retry timeout the attempt fails at once: retries never run beyond it.
      work.push(() =>
        retry.timedOut
          ? this.deliver(instance, this.retryTimeoutFailure(id, retry))
          : this.runActivity(instance, id, retry.name, retry.input),
      );
      return event(EventType.TaskScheduled, now, { Name: retry.name, Input: toJsonText(retry.input) }, id);
    }
    const childId = retry.instanceId || `${instance.instanceId}:${id.toString(16).padStart(4, '0')}`;
    work.push(() => this.startChild(instance, id, retry.name, retry.input, childId));
    return event(
      EventType.SubOrchestrationInstanceCreated,
      now,
      { Name: retry.name, Input: toJsonText(retry.input), InstanceId: childId },
      id,
    );
  }

  private retryTimeoutFailure(id: number, retry: RetryGroup): HistoryEvent {
    return event(EventType.TaskFailed, this.clock.now(), {
      TaskScheduledId: id,
      ...failureOf(new Error(`Retry timeout of ${retry.options.retryTimeoutInMilliseconds} ms exceeded.`)),
    });
  }

  private runActivity(instance: Instance, id: number, name: string, input: unknown): void {
    const generation = instance.generation;
    this.activityQueue.push(async () => {
      let completion: HistoryEvent;
      try {
        if (!this.options.runner.hasFunction(name, 'activityTrigger')) {
          throw new Error(`The function '${name}' doesn't exist, is disabled, or is not an activity function.`);
        }
        const result = await this.options.runner.runActivity(name, input);
        completion = event(EventType.TaskCompleted, this.clock.now(), { TaskScheduledId: id, Result: toJsonText(result) });
      } catch (err) {
        completion = event(EventType.TaskFailed, this.clock.now(), { TaskScheduledId: id, ...failureOf(asError(err)) });
      }
      this.stats.activities++;
      if (instance.generation === generation) this.deliver(instance, completion);
    });
    this.pumpActivities();
  }

  private pumpActivities(): void {
    const limit = this.options.maxConcurrentActivities ?? 10;
    while (this.activeActivities < limit && this.activityQueue.length > 0) {
      const next = this.activityQueue.shift() as () => Promise<void>;
      this.activeActivities++;
      void next().finally(() => {
        this.activeActivities--;
        this.pumpActivities();
        this.checkIdle();
      });
    }
  }

  private startChild(parent: Instance, id: number, name: string, input: unknown, childId: string): void {
    try {
      this.startNew(name, input, childId, { instanceId: parent.instanceId, taskScheduledId: id });
    } catch (err) {
      this.deliver(
        parent,
        event(EventType.SubOrchestrationInstanceFailed, this.clock.now(), { TaskScheduledId: id, ...failureOf(asError(err)) }),
      );
    }
  }

  private continueAsNew(instance: Instance, input: unknown): Write {
    instance.cancelTimers.forEach((cancel) => cancel());
    const now = this.clock.now();
    // Events raised meanwhile are carried over to the new generation, as the extension preserves them.
    const carried = instance.inbox.filter((e) => e.EventType === EventType.EventRaised);
    const old = { generation: instance.generation, ...instance.stored };
    const stale: Write = {
      staleGenerations: [old],
      pendingDeletes: range(old.pendingFrom, instance.nextPendingSeq).map((seq) => ({ generation: old.generation, seq })),
      pendingInserts: [],
    };
    Object.assign(instance, {
      input,
      status: 'Running' as RuntimeStatus,
      history: [],
      inbox: [event(EventType.ExecutionStarted, now, { Name: instance.name, Input: toJsonText(input) }), ...carried],
      actionLog: [],
      nextEventId: 0,
      slots: new Map(),
      cancelTimers: [],
      generation: instance.generation + 1,
      lastUpdatedTime: now,
      doneIds: new Set(),
      stored: { historyCount: 0, actionCount: 0, actionRows: 0, pendingFrom: instance.nextPendingSeq },
    });
    for (const e of carried) {
      const seq = instance.nextPendingSeq++;
      this.pendingSeqs.set(e, seq);
      stale.pendingInserts?.push({ generation: instance.generation, seq, event: e });
    }
    this.options.log?.(`Orchestration ${instance.instanceId} continued as new.`);
    return stale;
  }

  private fail(instance: Instance, error: Error, details?: OrchestratorState['failureDetails']): void {
    if (TERMINAL.includes(instance.status)) return;
    instance.cancelTimers.forEach((cancel) => cancel());
    const message = `Orchestrator function '${instance.name}' failed: ${stripOutOfProcData(error.message)}`;
    instance.failureDetails = details ?? {
      ErrorType: error.name,
      ErrorMessage: stripOutOfProcData(error.message),
      StackTrace: error.stack,
    };
    instance.history.push(event(EventType.ExecutionFailed, this.clock.now(), { Reason: message, FailureDetails: instance.failureDetails }));
    this.finish(instance, 'Failed', message);
  }

  private finish(instance: Instance, status: RuntimeStatus, output: unknown): void {
    instance.status = status;
    instance.output = output;
    instance.inbox = [];
    instance.lastUpdatedTime = this.clock.now();
    this.options.log?.(`Orchestration ${instance.instanceId} (${instance.name}) ${status}.`);
    const parent = instance.parent && this.instances.get(instance.parent.instanceId);
    if (parent && instance.parent) this.deliver(parent, this.completionOf(instance, instance.parent.taskScheduledId));
    this.checkIdle();
  }

  /** The event that tells a parent how its sub-orchestration ended. */
  private completionOf(child: Instance, taskScheduledId: number): HistoryEvent {
    return child.status === 'Completed'
      ? event(EventType.SubOrchestrationInstanceCompleted, this.clock.now(), {
          TaskScheduledId: taskScheduledId,
          Result: toJsonText(child.output),
        })
      : event(EventType.SubOrchestrationInstanceFailed, this.clock.now(), {
          TaskScheduledId: taskScheduledId,
          Reason: String(child.output),
          Details: '',
          FailureDetails: { ErrorType: 'OrchestrationFailure', ErrorMessage: String(child.output), InnerFailure: child.failureDetails },
        });
  }
}

export class EmulatorError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class NonDeterminismError extends Error {
  name = 'NonDeterministicOrchestrationException';
}

function flatten(actions: unknown[][] | undefined): Action[] {
  const out: Action[] = [];
  const walk = (list: Action[]): void => {
    for (const action of list) {
      if (action.actionType === ActionType.WhenAll || action.actionType === ActionType.WhenAny) walk(action.compoundActions ?? []);
      else out.push(action);
    }
  };
  for (const group of actions ?? []) walk(group as Action[]);
  return out;
}

function describe(action: Action): string {
  switch (action.actionType) {
    case ActionType.CreateTimer:
      return `CreateTimer(${action.fireAt})`;
    case ActionType.WaitForExternalEvent:
      return `WaitForExternalEvent(${action.externalEventName})`;
    default:
      return `${Object.keys(ActionType).find((k) => ActionType[k as keyof typeof ActionType] === action.actionType) ?? action.actionType}(${action.functionName ?? ''})`;
  }
}

/** The SDK JSON-encodes string inputs once more (Utils.processInput); undo that as the extension does. */
function normaliseInput(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}

function stripOutOfProcData(message: string): string {
  const at = message.indexOf('\n\n$OutOfProcData$:');
  return at >= 0 ? message.slice(0, at) : message;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Parses a .NET TimeSpan ("d.hh:mm:ss" or "hh:mm:ss") into milliseconds. */
export function timeSpanMs(value: string): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(value);
  if (!match) throw new Error(`Not a TimeSpan: ${value}`);
  const [, days, hours, minutes, seconds] = match;
  return (((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
}

export { fromJsonText };

const COMPLETIONS = [
  EventType.TaskCompleted,
  EventType.TaskFailed,
  EventType.SubOrchestrationInstanceCompleted,
  EventType.SubOrchestrationInstanceFailed,
];

/** The task or timer id an event completes, if it completes one. */
function completionId(e: HistoryEvent): number | undefined {
  if (COMPLETIONS.includes(e.EventType)) return e.TaskScheduledId as number;
  if (e.EventType === EventType.TimerFired) return e.TimerId as number;
  return undefined;
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

function recordOf(instance: Instance): InstanceRecord {
  return {
    instanceId: instance.instanceId,
    name: instance.name,
    input: instance.input,
    status: instance.status,
    output: instance.output,
    customStatus: instance.customStatus,
    failureDetails: instance.failureDetails,
    createdTime: instance.createdTime.toISOString(),
    lastUpdatedTime: instance.lastUpdatedTime.toISOString(),
    parent: instance.parent,
    generation: instance.generation,
  };
}

function storedOf(loaded: LoadedInstance): Instance['stored'] {
  const c = loaded.checkpoint;
  return {
    historyCount: c?.historyCount ?? 0,
    actionCount: loaded.actionLog.length,
    actionRows: c?.actionRows ?? 0,
    pendingFrom: c?.pendingFrom ?? 0,
  };
}

interface SerialisedRetry extends Omit<RetryGroup, 'firstAttemptAt'> {
  firstAttemptAt: string;
}

interface SerialisedSlots {
  retries: SerialisedRetry[];
  /** [event id, kind, retry index or long timer's final fire time]. */
  slots: [number, Slot['kind'], number | string | null][];
}

/**
 * The slots history cannot tell: retried tasks, retry timers and long timers (plain tasks and timers are read back
 * from their history events). Only slots still waiting are kept: a finished one is never looked at again.
 */
function serialiseSlots(instance: Instance): SerialisedSlots {
  const closed = new Set<number>();
  for (const e of instance.history) {
    const id = completionId(e);
    if (id !== undefined) closed.add(id);
  }
  const retries = new Map<RetryGroup, number>();
  const out: SerialisedSlots = { retries: [], slots: [] };
  for (const [id, slot] of instance.slots) {
    if (closed.has(id)) continue;
    const retry = slot.kind === 'timer' ? undefined : slot.retry;
    if (slot.kind === 'timer' && !slot.longTimer) continue;
    if (slot.kind === 'task' && !retry) continue;
    let index: number | null = null;
    if (retry) {
      index = retries.get(retry) ?? out.retries.push({ ...retry, firstAttemptAt: retry.firstAttemptAt.toISOString() }) - 1;
      retries.set(retry, index);
    }
    out.slots.push([id, slot.kind, slot.kind === 'timer' ? (slot.longTimer as { finalFireAt: Date }).finalFireAt.toISOString() : index]);
  }
  return out;
}

function slotsOf(history: HistoryEvent[], saved: SerialisedSlots | undefined): Map<number, Slot> {
  const slots = new Map<number, Slot>();
  for (const e of history) {
    if (e.EventType === EventType.TaskScheduled || e.EventType === EventType.SubOrchestrationInstanceCreated)
      slots.set(e.EventId, { kind: 'task' });
    if (e.EventType === EventType.TimerCreated) slots.set(e.EventId, { kind: 'timer' });
  }
  const retries = (saved?.retries ?? []).map((r) => ({ ...r, firstAttemptAt: new Date(r.firstAttemptAt) }));
  for (const [id, kind, value] of saved?.slots ?? []) {
    if (kind === 'timer') slots.set(id, { kind, longTimer: { finalFireAt: new Date(String(value)) } });
    else if (kind === 'task') slots.set(id, { kind, retry: retries[value as number] });
    else slots.set(id, { kind, retry: retries[value as number] as RetryGroup });
  }
  return slots;
}

/** An instance as the store kept it; without `loaded` (a finished one), its history is read when asked for. */
function instanceOf(record: InstanceRecord, loaded?: LoadedInstance): Instance {
  const c: Checkpoint | undefined = loaded?.checkpoint;
  const history = loaded?.history ?? [];
  const status = (c?.status ?? record.status) as RuntimeStatus;
  const parent = record.parent as Instance['parent'];
  const inbox = loaded?.pending.map((p) => p.event) ?? [];
  if (loaded && history.length === 0 && !TERMINAL.includes(status)) {
    const started = event(EventType.ExecutionStarted, new Date(c?.lastUpdatedTime ?? record.createdTime), {
      Name: record.name,
      Input: toJsonText(record.input),
      ParentInstance: parent,
    });
    inbox.unshift(started);
  }
  const doneIds = new Set<number>();
  for (const e of [...history, ...inbox]) {
    const id = completionId(e);
    if (id !== undefined) doneIds.add(id);
  }
  const nextPendingSeq = Math.max(c?.nextPendingSeq ?? 0, ...(loaded?.pending.map((p) => p.seq + 1) ?? []));
  return {
    instanceId: record.instanceId,
    name: record.name,
    input: record.input,
    status,
    createdTime: new Date(record.createdTime),
    lastUpdatedTime: new Date(c?.lastUpdatedTime ?? record.lastUpdatedTime),
    customStatus: c ? c.customStatus : record.customStatus,
    output: c ? c.output : record.output,
    failureDetails: (c ? c.failureDetails : record.failureDetails) as Instance['failureDetails'],
    history,
    inbox,
    actionLog: loaded?.actionLog ?? [],
    nextEventId: c?.nextEventId ?? 0,
    slots: slotsOf(history, c?.slots as SerialisedSlots | undefined),
    parent,
    busy: false,
    cancelTimers: [],
    generation: c?.generation ?? record.generation,
    doneIds,
    nextPendingSeq,
    stored: loaded ? storedOf(loaded) : { historyCount: 0, actionCount: 0, actionRows: 0, pendingFrom: nextPendingSeq },
    historyLoaded: !!loaded,
  };
}
