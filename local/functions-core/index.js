'use strict';
// Stand-in for the module the Azure Functions Node.js worker injects as "@azure/functions-core".
// @azure/functions calls setProgrammingModel/registerFunction on it; we keep what it registers in a
// process-wide registry that the local host (local/host) reads. Nothing here runs in Azure.
const REGISTRY = Symbol.for('teams-voice-sync.local.functions-core');

function registry() {
  if (!globalThis[REGISTRY]) {
    globalThis[REGISTRY] = { programmingModel: undefined, functions: new Map(), hooks: new Map() };
  }
  return globalThis[REGISTRY];
}

class CoreDisposable {
  static from(...items) {
    return new CoreDisposable(() => items.forEach((item) => item && item.dispose && item.dispose()));
  }
  constructor(callOnDispose) {
    this._callOnDispose = callOnDispose;
  }
  dispose() {
    if (this._callOnDispose) {
      this._callOnDispose();
      this._callOnDispose = undefined;
    }
  }
}

function registerFunction(metadata, callback) {
  const functions = registry().functions;
  if (functions.has(metadata.name)) {
    throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
  }
  functions.set(metadata.name, { metadata, callback });
  return new CoreDisposable(() => functions.delete(metadata.name));
}

function registerHook(hookName, callback) {
  const hooks = registry().hooks;
  const list = hooks.get(hookName) || [];
  list.push(callback);
  hooks.set(hookName, list);
  return new CoreDisposable(() => list.splice(list.indexOf(callback), 1));
}

function setProgrammingModel(model) {
  registry().programmingModel = model;
}

function getProgrammingModel() {
  return registry().programmingModel;
}

function log(level, category, message) {
  const sink = registry().log;
  if (sink) sink(level, category, message);
  else console.log(`[${level}] ${message}`);
}

module.exports = {
  version: '3.10.1-local',
  hostVersion: '4.0.0-local',
  registerFunction,
  registerHook,
  setProgrammingModel,
  getProgrammingModel,
  log,
  Disposable: CoreDisposable,
  __registry: registry,
};
