/**
 * The sync orchestration's activities (see orchestrations/syncTenant.ts): each runs one idempotent step from the
 * container; transient faults throw (the orchestrator retries them), permanent ones return as values.
 */
import * as df from 'durable-functions';
import { container } from '../shared/container';
import { InvocationContext } from '@azure/functions';
import {
  AdvanceInput,
  ApplyStepInput,
  FinishInput,
  RecordVerificationInput,
  RunRef,
  StageInput,
  StartVerificationInput,
  SyncActivities as A,
  VerifyActivities as V,
  VerifyChunkInput,
} from '../shared/sync/contract';

const steps = () => container().sync.steps;
const verification = () => container().sync.verification;

export const syncPreflight = (input: RunRef) => steps().preflight(input);
export const syncAdvance = (input: AdvanceInput) => steps().advance(input);
export const syncTrunkStep = (input: StageInput) => steps().trunkStep(input);
export const syncCleanUp = (input: StageInput) => steps().cleanUp(input);
export const syncTenantConfiguration = (input: StageInput) => steps().tenantConfiguration(input);
export const syncPlan = (input: StageInput) => steps().plan(input);
export const syncApplyStep = (input: ApplyStepInput) => steps().applyStep(input);
export const syncFinish = (input: FinishInput) => steps().finish(input);
export const syncStartVerification = (input: StartVerificationInput, context: InvocationContext) =>
  verification().start(input, df.getClient(context));
export const syncVerifyChunk = (input: VerifyChunkInput) => verification().checkChunk(input);
export const syncRecordVerification = (input: RecordVerificationInput) => verification().record(input);

df.app.activity(A.preflight, { handler: syncPreflight });
df.app.activity(A.advance, { handler: syncAdvance });
df.app.activity(A.trunkStep, { handler: syncTrunkStep });
df.app.activity(A.cleanUp, { handler: syncCleanUp });
df.app.activity(A.tenantConfiguration, { handler: syncTenantConfiguration });
df.app.activity(A.plan, { handler: syncPlan });
df.app.activity(A.applyStep, { handler: syncApplyStep });
df.app.activity(A.finish, { handler: syncFinish });
df.app.activity(V.start, { handler: syncStartVerification, extraInputs: [df.input.durableClient()] });
df.app.activity(V.checkChunk, { handler: syncVerifyChunk });
df.app.activity(V.record, { handler: syncRecordVerification });
