/**
 * The discovery orchestration's activities (see orchestrations/discoverTenant.ts): each runs one idempotent step from
 * the container; transient faults throw (the orchestrator retries them), permanent ones return as values.
 */
import * as df from 'durable-functions';
import { container } from '../shared/container';
import {
  BeginInput,
  CompleteInput,
  DiscoveryActivities as A,
  FailInput,
  LicencesInput,
  MarkGoneInput,
  UsersPageInput,
} from '../shared/discovery/orchestration';

const steps = () => container().discovery.steps;

df.app.activity(A.begin, { handler: (input: BeginInput) => steps().begin(input) });
df.app.activity(A.usersPage, { handler: (input: UsersPageInput) => steps().usersPage(input) });
df.app.activity(A.licences, { handler: (input: LicencesInput) => steps().licences(input) });
df.app.activity(A.markGone, { handler: (input: MarkGoneInput) => steps().markGone(input) });
df.app.activity(A.complete, { handler: (input: CompleteInput) => steps().complete(input) });
df.app.activity(A.fail, { handler: (input: FailInput) => steps().fail(input) });
