/** Tests and benchmarks share the in-process stack (local/stack.ts). */
export * from '../../local/stack';
