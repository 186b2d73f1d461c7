/**
 * The worker side of the local host: reads what the app registered through the "@azure/functions-core" stand-in
 * (local/functions-core) and invokes a function the way the Node.js worker does, through the programming model that
 * @azure/functions installed (so HttpRequest, InvocationContext and return bindings are built by the library itself).
 */
import { randomUUID } from 'node:crypto';

export interface BindingInfo {
  type?: string | null;
  direction?: 'in' | 'out' | 'inout' | null;
  [key: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, BindingInfo>;
}

export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  http?: RpcHttpData | null;
  int?: number | null;
  double?: number | null;
}

export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  statusCode?: string | null;
  query?: Record<string, string> | null;
  cookies?: unknown[] | null;
}

export interface RpcParameterBinding {
  name?: string | null;
  data?: RpcTypedData | null;
}

export interface RpcInvocationResponse {
  invocationId?: string | null;
  outputData?: RpcParameterBinding[] | null;
  returnValue?: RpcTypedData | null;
}

type LogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type LogSink = (entry: { level: LogLevel; category: string; message: string; functionName?: string; invocationId?: string }) => void;

interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: (...args: unknown[]) => unknown): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: unknown): InvocationModel;
}

type HookCallback = (context: Record<string, unknown>) => void | Promise<void>;

interface Registry {
  programmingModel?: ProgrammingModel;
  functions: Map<string, { metadata: FunctionMetadata; callback: (...args: unknown[]) => unknown }>;
  hooks: Map<string, HookCallback[]>;
  log?: (level: LogLevel, category: string, message: string) => void;
}

const REGISTRY = Symbol.for('teams-voice-sync.local.functions-core');

function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  if (!g[REGISTRY]) g[REGISTRY] = { functions: new Map(), hooks: new Map() };
  return g[REGISTRY] as Registry;
}

export interface RegisteredFunction {
  name: string;
  metadata: FunctionMetadata;
  triggerName: string;
  trigger: BindingInfo;
}

export function registeredFunctions(): RegisteredFunction[] {
  return [...registry().functions.values()].map(({ metadata }) => {
    const entry = Object.entries(metadata.bindings).find(([, b]) => /trigger$/i.test(b.type ?? ''));
    if (!entry) throw new Error(`Function "${metadata.name}" has no trigger binding.`);
    return { name: metadata.name, metadata, triggerName: entry[0], trigger: entry[1] };
  });
}

/** Forgets every registration (tests load several fixture apps in one process). */
export function resetRegistrations(): void {
  registry().functions.clear();
  registry().hooks.clear();
}

export function setLogSink(sink: LogSink): void {
  registry().log = (level, category, message) => sink({ level, category, message });
}

export interface InvokeOptions {
  inputData: RpcParameterBinding[];
  triggerMetadata?: Record<string, RpcTypedData>;
  retryContext?: { retryCount: number; maxRetryCount: number };
  invocationId?: string;
  log: LogSink;
}

export interface InvocationResult {
  invocationId: string;
  response?: RpcInvocationResponse;
  error?: Error;
}

async function runHooks(name: string, context: Record<string, unknown>): Promise<void> {
  for (const hook of registry().hooks.get(name) ?? []) await hook(context);
}

/** Invokes one registered function like the worker does; a thrown error is returned, not raised. */
export async function invoke(name: string, options: InvokeOptions): Promise<InvocationResult> {
  const reg = registry();
  const entry = reg.functions.get(name);
  if (!entry) throw new Error(`No function named "${name}" is registered.`);
  const model = reg.programmingModel;
  if (!model) throw new Error('The app registered functions without a programming model (is @azure/functions loaded?).');
  const invocationId = options.invocationId ?? randomUUID();
  const coreContext = {
    invocationId,
    state: 'invocation',
    metadata: { name, bindings: entry.metadata.bindings },
    request: {
      invocationId,
      functionId: name,
      inputData: options.inputData,
      triggerMetadata: options.triggerMetadata ?? {},
      retryContext: options.retryContext,
    },
    log: (level: LogLevel, category: string, message: string) =>
      options.log({ level, category, message, functionName: name, invocationId }),
  };
  const invocationModel = model.getInvocationModel(coreContext);
  const started = Date.now();
  const system = (message: string, level: LogLevel = 'information'): void =>
    options.log({ level, category: 'system', message, functionName: name, invocationId });
  system(`Executing '${name}'`);
  try {
    const { context, inputs } = await invocationModel.getArguments();
    const hookData: Record<string, unknown> = {};
    const pre = { invocationContext: context, inputs, functionCallback: entry.callback, hookData, appHookData: {} };
    await runHooks('preInvocation', pre);
    let result: unknown;
    let error: unknown;
    try {
      result = await invocationModel.invokeFunction(context, pre.inputs, pre.functionCallback as never);
    } catch (err) {
      error = err;
    }
    const post = { invocationContext: context, inputs: pre.inputs, result, error, hookData, appHookData: {} };
    await runHooks('postInvocation', post);
    if (post.error) throw post.error;
    const response = await invocationModel.getResponse(context, post.result);
    system(`Executed '${name}' (Succeeded, Duration=${Date.now() - started}ms)`);
    return { invocationId, response };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    system(`Executed '${name}' (Failed, Duration=${Date.now() - started}ms): ${error.message.split('\n')[0]}`, 'error');
    return { invocationId, error };
  }
}

/** Decodes typed data the way the worker's converters do. */
export function fromTypedData(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (data.json != null) return JSON.parse(data.json);
  if (data.string != null) {
    try {
      return JSON.parse(data.string);
    } catch {
      return data.string;
    }
  }
  if (data.bytes != null) return Buffer.from(data.bytes);
  if (data.int != null) return data.int;
  if (data.double != null) return data.double;
  if (data.http != null) return data.http;
  return undefined;
}

export function jsonData(value: unknown): RpcTypedData {
  return { json: JSON.stringify(value ?? null) };
}
