/** Shapes every account route shares. */
import { z } from 'zod';
import './registry'; // zod's .openapi() comes with the registry

export const AccountIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'an account id is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit')
  .openapi({ example: 'acme-001' });

export const AccountPathParams = z.object({ accountId: AccountIdSchema });
