import { ConfigError, loadConfig } from '../../shared/config';

test('valid settings load with defaults for the Microsoft endpoints', () => {
  const config = loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', DURABLE_TASK_HUB: 'Hub1' });
  expect(config.DURABLE_TASK_HUB).toBe('Hub1');
  expect(config.GRAPH_BASE_URL).toBe('https://graph.microsoft.com');
  expect(config.ENTRA_AUTHORITY_HOST).toBe('https://login.microsoftonline.com');
});

test('missing and malformed settings fail fast with every problem spelled out', () => {
  let error: unknown;
  try {
    loadConfig({ DURABLE_TASK_HUB: '1-bad', GRAPH_BASE_URL: 'not a url' });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const message = (error as ConfigError).message;
  expect(message).toMatch(/^Invalid application settings:/);
  expect(message).toContain('AzureWebJobsStorage');
  expect(message).toContain('DURABLE_TASK_HUB: a task hub name is 3-45 letters and digits');
  expect(message).toContain('GRAPH_BASE_URL');
  expect((error as ConfigError).problems).toHaveLength(3);
});
