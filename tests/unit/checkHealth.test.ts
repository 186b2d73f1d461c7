import { checkHealth } from '../../shared/health/checkHealth';

test('healthy when every dependency answers', async () => {
  const report = await checkHealth('1.2.3', [{ name: 'a', ping: async () => undefined }]);
  expect(report).toMatchObject({ status: 'healthy', version: '1.2.3', checks: { a: { status: 'up' } } });
});

test('degraded with only the first line of the error when one does not', async () => {
  const report = await checkHealth('1.2.3', [
    { name: 'ok', ping: async () => undefined },
    { name: 'storage', ping: async () => Promise.reject(new Error('connect ECONNREFUSED\nAccountKey=secret')) },
  ]);
  expect(report.status).toBe('degraded');
  expect(report.checks.storage).toMatchObject({ status: 'down', error: 'connect ECONNREFUSED' });
  expect(JSON.stringify(report)).not.toContain('secret');
});
