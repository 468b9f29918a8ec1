// The linter (npm run lint, and CI): typescript-eslint's recommended rules on the package's own code, with `any`
// forbidden and type-only imports marked as such; layout is prettier's (its settings are in package.json).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.test-work/**', 'test/**', 'fixtures/**', 'bench/**', 'examples/**', '.ci/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        // `require('x') as typeof import('x')`: the lazily loaded packages keep their types.
        { prefer: 'type-imports', fixStyle: 'separate-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-require-imports': 'off',
      // What prettier cannot wrap (comments, long strings) is kept within the width by hand.
      'max-len': ['error', { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true }],
    },
  },
  {
    files: ['register.mjs'],
    languageOptions: { globals: { process: 'readonly', globalThis: 'readonly' } },
    rules: { 'max-len': ['error', { code: 120 }] },
  },
);
