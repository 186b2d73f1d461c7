/** Every test runs with ts-jest in transpile-only mode; `npm test` type-checks the whole tree first. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testTimeout: 60000,
  maxWorkers: 2,
};
