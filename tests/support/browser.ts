/** The minimal browser for HTTP-level flow tests lives in local/ (the benchmarks drive sign-ins with it too). */
export * from '../../local/browser';
