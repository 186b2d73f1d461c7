/** Which Teams users may be mapped: pure classification from Graph's user properties and service plans. */
import fc from 'fast-check';
import {
  CALLING_PLAN_PLANS,
  classifyUser,
  DirectoryUser,
  licenceCount,
  RESOURCE_ACCOUNT_DEPARTMENT,
  RESOURCE_ACCOUNT_PLAN,
} from '../../shared/domain/eligibility';

const MCOEV = '4828c8ec-dc2e-4779-b502-87ac9ce28ab7';
const MCOEV_GOV = 'db23fce2-a974-42ef-9002-d78dd42a0f22';
const MCOPSTN1 = '4ed3ff63-69d7-4fb7-b984-5aec7f605ca8';
const MCOPSTNEAU = '7861360b-dc3b-4eba-a3fc-0d323a035746';
const TEAMS1 = '57ff2da0-773e-42df-b2af-ffb7a2317929';

const plan = (servicePlanId: string, capabilityStatus = 'Enabled') => ({ servicePlanId, capabilityStatus });
const user = (overrides: Partial<DirectoryUser> = {}): DirectoryUser => ({
  id: '00000000-0000-4000-8000-000000000001',
  displayName: 'Ada Adler',
  userPrincipalName: 'ada@contoso.example',
  mail: 'ada@contoso.example',
  department: 'Sales',
  accountEnabled: true,
  assignedPlans: [plan(TEAMS1), plan(MCOEV)],
  ...overrides,
});

test('an enabled user with Teams Phone and no Calling Plan is eligible', () => {
  expect(classifyUser(user())).toEqual({
    eligible: true,
    ineligibleReason: null,
    teamsPhoneStatus: 'Enabled',
    callingPlan: false,
    resourceAccount: false,
    resourceAccountKind: null,
  });
});

test('Teams Phone for government (MCOEV_GOV) counts like MCOEV', () => {
  expect(classifyUser(user({ assignedPlans: [plan(MCOEV_GOV)] })).eligible).toBe(true);
});

test('a Teams Phone plan in Warning (grace period) still counts; Suspended, LockedOut and Deleted do not', () => {
  expect(classifyUser(user({ assignedPlans: [plan(MCOEV, 'Warning')] }))).toMatchObject({ eligible: true, teamsPhoneStatus: 'Warning' });
  for (const status of ['Suspended', 'LockedOut', 'Deleted']) {
    expect(classifyUser(user({ assignedPlans: [plan(MCOEV, status)] }))).toMatchObject({
      eligible: false,
      ineligibleReason: 'noTeamsPhone',
      teamsPhoneStatus: status,
    });
  }
});

test('the best status wins when Teams Phone comes from several licences', () => {
  const c = classifyUser(user({ assignedPlans: [plan(MCOEV, 'Deleted'), plan(MCOEV, 'Enabled')] }));
  expect(c).toMatchObject({ eligible: true, teamsPhoneStatus: 'Enabled' });
});

test('without Teams Phone a user is not eligible', () => {
  expect(classifyUser(user({ assignedPlans: [plan(TEAMS1)] }))).toMatchObject({
    eligible: false,
    ineligibleReason: 'noTeamsPhone',
    teamsPhoneStatus: null,
  });
  expect(classifyUser(user({ assignedPlans: [] })).ineligibleReason).toBe('noTeamsPhone');
});

test('every Calling Plan service plan makes a Teams Phone user ineligible, also in Warning', () => {
  for (const id of Object.keys(CALLING_PLAN_PLANS)) {
    for (const status of ['Enabled', 'Warning']) {
      expect(classifyUser(user({ assignedPlans: [plan(MCOEV), plan(id, status)] }))).toMatchObject({
        eligible: false,
        ineligibleReason: 'callingPlan',
        callingPlan: true,
      });
    }
  }
  expect(Object.keys(CALLING_PLAN_PLANS)).toHaveLength(7);
});

test('a suspended Calling Plan no longer blocks eligibility', () => {
  expect(classifyUser(user({ assignedPlans: [plan(MCOEV), plan(MCOPSTN1, 'Suspended')] }))).toMatchObject({
    eligible: true,
    callingPlan: false,
  });
});

test('a disabled account is not eligible, even with Teams Phone (and an unknown flag counts as disabled)', () => {
  expect(classifyUser(user({ accountEnabled: false }))).toMatchObject({ eligible: false, ineligibleReason: 'accountDisabled' });
  expect(classifyUser(user({ accountEnabled: null })).ineligibleReason).toBe('accountDisabled');
});

test('resource accounts are found by department or by the resource-account plan; their kind is unknown', () => {
  const byDepartment = classifyUser(user({ department: RESOURCE_ACCOUNT_DEPARTMENT, assignedPlans: [] }));
  expect(byDepartment).toMatchObject({
    eligible: false,
    ineligibleReason: 'resourceAccount',
    resourceAccount: true,
    resourceAccountKind: 'unknown',
  });
  expect(classifyUser(user({ department: ' microsoft communication application instance ' })).resourceAccount).toBe(true);
  const byPlan = classifyUser(user({ department: null, assignedPlans: [plan(RESOURCE_ACCOUNT_PLAN), plan(MCOEV)] }));
  expect(byPlan).toMatchObject({ eligible: false, ineligibleReason: 'resourceAccount', resourceAccount: true });
  // A resource account's plans are never counted as a person's Calling Plan.
  expect(classifyUser(user({ department: RESOURCE_ACCOUNT_DEPARTMENT, assignedPlans: [plan(MCOPSTNEAU)] })).callingPlan).toBe(false);
});

test('plan ids and statuses are matched case-insensitively', () => {
  expect(classifyUser(user({ assignedPlans: [plan(MCOEV.toUpperCase(), 'enabled')] })).eligible).toBe(true);
});

test('property: eligible exactly when enabled, active Teams Phone, no active Calling Plan, not a resource account', () => {
  const ids = [MCOEV, MCOEV_GOV, MCOPSTN1, MCOPSTNEAU, RESOURCE_ACCOUNT_PLAN, TEAMS1];
  const statuses = ['Enabled', 'Warning', 'Suspended', 'LockedOut', 'Deleted'];
  const arbitraryUser = fc.record({
    accountEnabled: fc.constantFrom(true, false, null),
    department: fc.constantFrom('Sales', RESOURCE_ACCOUNT_DEPARTMENT, null),
    assignedPlans: fc.array(fc.record({ servicePlanId: fc.constantFrom(...ids), capabilityStatus: fc.constantFrom(...statuses) }), {
      maxLength: 6,
    }),
  });
  fc.assert(
    fc.property(arbitraryUser, (u) => {
      const active = (id: string) =>
        u.assignedPlans.some((p) => p.servicePlanId === id && ['Enabled', 'Warning'].includes(p.capabilityStatus));
      const resource =
        u.department === RESOURCE_ACCOUNT_DEPARTMENT ||
        u.assignedPlans.some((p) => p.servicePlanId === RESOURCE_ACCOUNT_PLAN && p.capabilityStatus !== 'Deleted');
      const expected =
        u.accountEnabled === true && (active(MCOEV) || active(MCOEV_GOV)) && !active(MCOPSTN1) && !active(MCOPSTNEAU) && !resource;
      const c = classifyUser(user(u));
      return c.eligible === expected && (c.ineligibleReason === null) === expected && c.resourceAccount === resource;
    }),
  );
});

test('licence counts: available = enabled - consumed, never negative', () => {
  expect(licenceCount({ skuId: 's', skuPartNumber: 'MCOEV', enabledUnits: 25, consumedUnits: 20 })).toEqual({
    skuId: 's',
    skuPartNumber: 'MCOEV',
    enabled: 25,
    consumed: 20,
    available: 5,
  });
  expect(licenceCount({ skuId: 's', skuPartNumber: 'X', enabledUnits: 2, consumedUnits: 3 }).available).toBe(0);
});
