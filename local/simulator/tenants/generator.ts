/**
 * Generates large tenants deterministically from a seed, with the same mix of user kinds as the demo tenant:
 * eligible (Teams Phone, no Calling Plan), Calling Plan users, users without Teams Phone, unlicensed, disabled,
 * Global Administrators and resource accounts.
 */
import { detUuid, seededRandom } from '../util';
import { GLOBAL_ADMIN_ROLE, RESOURCE_ACCOUNT_DEPARTMENT, SeedUser, TenantSeed } from './model';

const FIRST = [
  'Ada',
  'Ben',
  'Chloe',
  'Dev',
  'Elif',
  'Farid',
  'Greta',
  'Hugo',
  'Ines',
  'Jonas',
  'Kaia',
  'Liam',
  'Mona',
  'Nils',
  'Olga',
  'Paul',
  'Quinn',
  'Rosa',
  'Sami',
  'Tara',
  'Ugo',
  'Vera',
  'Wim',
  'Xena',
  'Yuri',
  'Zoe',
];
const LAST = [
  'Adler',
  'Berg',
  'Costa',
  'Dahl',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Hansen',
  'Ito',
  'Jensen',
  'Kowalski',
  'Larsen',
  'Moreau',
  'Novak',
  'Olsen',
  'Petrov',
  'Quist',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Ueda',
  'Varga',
  'Weber',
  'Xu',
  'Young',
  'Zimmer',
];
const DEPARTMENTS = ['Sales', 'Finance', 'Engineering', 'Support', 'Marketing', 'Operations', 'Legal'];

export interface GenerateTenantOptions {
  users: number;
  seed: number;
  tenantId?: string;
  displayName?: string;
  domain?: string;
  /** spare licences on top of what is assigned (default 5) */
  spareLicences?: number;
}

export function generateTenant(opts: GenerateTenantOptions): TenantSeed {
  const rnd = seededRandom(opts.seed);
  const id = opts.tenantId ?? detUuid('generated-tenant', opts.seed, opts.users);
  const domain = opts.domain ?? `gen${opts.seed}-${opts.users}.onmicrosoft.com`;
  const users: SeedUser[] = [];
  users.push({
    alias: 'ga1',
    displayName: 'Generated Global Admin',
    department: 'IT',
    licenses: ['SPE_E3', 'MCOEV'],
    roles: [GLOBAL_ADMIN_ROLE],
  });
  users.push({ alias: 'ga2', displayName: 'Second Global Admin', department: 'IT', licenses: ['SPE_E3'], roles: [GLOBAL_ADMIN_ROLE] });
  const resource = [
    { alias: 'aa-main', displayName: 'Main Auto Attendant', resourceAccount: 'autoAttendant' as const },
    { alias: 'cq-one', displayName: 'Queue One', resourceAccount: 'callQueue' as const },
    { alias: 'cq-two', displayName: 'Queue Two', resourceAccount: 'callQueue' as const },
  ];
  const regular = Math.max(0, opts.users - users.length - resource.length);
  for (let i = 0; i < regular; i++) {
    const first = FIRST[Math.floor(rnd() * FIRST.length)]!;
    const last = LAST[Math.floor(rnd() * LAST.length)]!;
    const r = rnd();
    const u: SeedUser = {
      alias: `${first.toLowerCase()}.${last.toLowerCase()}.${i}`,
      displayName: `${first} ${last}`,
      department: DEPARTMENTS[Math.floor(rnd() * DEPARTMENTS.length)]!,
      licenses: ['SPE_E3', 'MCOEV'],
    };
    if (r < 0.55) {
      // eligible
    } else if (r < 0.67) u.licenses = ['SPE_E3', 'MCOEV', 'MCOPSTN1'];
    else if (r < 0.82) u.licenses = ['SPE_E3'];
    else if (r < 0.92) u.licenses = [];
    else u.accountEnabled = false;
    users.push(u);
  }
  for (const ra of resource.slice(0, Math.max(0, Math.min(3, opts.users - 2)))) {
    users.push({ ...ra, department: RESOURCE_ACCOUNT_DEPARTMENT, licenses: ['PHONESYSTEM_VIRTUALUSER'] });
  }
  const count = (part: string) => users.filter((u) => u.licenses.includes(part)).length;
  const spare = opts.spareLicences ?? 5;
  return {
    id,
    displayName: opts.displayName ?? `Generated tenant (${opts.users} users, seed ${opts.seed})`,
    domain,
    skus: ['SPE_E3', 'MCOEV', 'MCOPSTN1', 'PHONESYSTEM_VIRTUALUSER'].map((p) => ({ skuPartNumber: p, prepaidUnits: count(p) + spare })),
    users,
    numbers: [],
  };
}
