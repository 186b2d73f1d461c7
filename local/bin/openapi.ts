/**
 * `npm run lint:openapi`: writes the OpenAPI document of the built app to dist/openapi.json (what GET /api/openapi.json
 * serves), then lints it with Redocly's recommended rules, warnings counted as errors (redocly.yaml). Needs a build.
 * Offline: the rules ship with the CLI; telemetry and the update check are off.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openApiDocument } from '../../shared/api/document';

const repoRoot = path.resolve(__dirname, '../../..');
const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
const out = path.join(repoRoot, 'dist', 'openapi.json');
writeFileSync(out, JSON.stringify(openApiDocument(version), null, 2) + '\n');
console.log(`Wrote ${path.relative(repoRoot, out)}`);

if (process.argv.includes('--lint')) {
  const cli = path.join(path.dirname(require.resolve('@redocly/cli/package.json')), 'bin', 'cli.js');
  const result = spawnSync(process.execPath, [cli, 'lint', '--config', 'redocly.yaml', '--format', 'stylish', out], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
  process.exit(result.status ?? 1);
}
