/**
 * History events in the shape the Durable Functions extension sends to out-of-process workers (PascalCase fields,
 * numeric EventType). The durable-functions SDK replays these at every orchestrator invocation.
 */
export enum EventType {
  ExecutionStarted = 0,
  ExecutionCompleted = 1,
  ExecutionFailed = 2,
  ExecutionTerminated = 3,
  TaskScheduled = 4,
  TaskCompleted = 5,
  TaskFailed = 6,
  SubOrchestrationInstanceCreated = 7,
  SubOrchestrationInstanceCompleted = 8,
  SubOrchestrationInstanceFailed = 9,
  TimerCreated = 10,
  TimerFired = 11,
  OrchestratorStarted = 12,
  OrchestratorCompleted = 13,
  EventRaised = 15,
  ContinueAsNew = 16,
}

export interface HistoryEvent {
  EventType: EventType;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [field: string]: unknown;
}

export interface FailureDetails {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string;
  IsNonRetriable?: boolean;
}

export function event(type: EventType, at: Date, fields: Record<string, unknown> = {}, eventId = -1): HistoryEvent {
  return { EventType: type, EventId: eventId, IsPlayed: false, Timestamp: at.toISOString(), ...fields };
}

export function failureOf(error: Error): { Reason: string; Details: string; FailureDetails: FailureDetails } {
  return {
    Reason: error.message,
    Details: error.stack ?? '',
    FailureDetails: { ErrorType: error.name || 'Error', ErrorMessage: error.message, StackTrace: error.stack },
  };
}

/** JSON text as the extension stores inputs and results ("null" rather than nothing). */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

export function fromJsonText(text: unknown): unknown {
  if (typeof text !== 'string' || text === '') return undefined;
  return JSON.parse(text);
}
