/**
 * Tests and benchmarks share the in-process stack (local/stack.ts). In tests, every answer of the app's HTTP
 * functions is checked against the OpenAPI document (openapiConformance.ts): a mismatch fails the test that got it.
 */
import { startStack as startLocalStack, Stack, StackOptions } from '../../local/stack';
import { conformance, takeViolations } from './openapiConformance';

export * from '../../local/stack';

export function startStack(options: StackOptions = {}): Promise<Stack> {
  const checker = conformance();
  return startLocalStack({
    ...options,
    onHttpResponse: (exchange) => {
      checker.observe(exchange);
      options.onHttpResponse?.(exchange);
    },
  });
}

function reportViolations(): void {
  const violations = takeViolations();
  if (violations.length) throw new Error(`Answers that do not match the OpenAPI document:\n${violations.join('\n')}`);
}

// Registered by every test file that imports the stack; answers seen in beforeAll count for the first test.
afterEach(reportViolations);
afterAll(reportViolations);
