// typescript-eslint over the sources, tests and benchmarks.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layers from './lint/layers.js';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'public/', 'storage/', 'scratch/', 'test-results/'] },
  js.configs.recommended,
  {
    // The public page runs in browsers.
    files: ['src/export/site/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', location: 'readonly' } },
  },
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts'],
    plugins: { layers },
    rules: { 'layers/imports-point-down': 'error' },
  },
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          // SQL is parameterised and lives in .sql files: a query built by interpolation is refused;
          // only an identifier quoted by escapeIdentifier may be interpolated (identifiers cannot be $1).
          selector: "CallExpression[callee.property.name='query'] > TemplateLiteral.arguments:first-child > :not(TemplateElement, CallExpression[callee.property.name='escapeIdentifier'])",
          message: 'Build no SQL from strings: use $1 parameters (and .sql files).',
        },
        {
          selector: "CallExpression[callee.property.name='query'] > BinaryExpression.arguments:first-child[operator='+']",
          message: 'Build no SQL from strings: use $1 parameters (and .sql files).',
        },
        {
          selector: "MemberExpression[object.name='sql'][property.name='raw']",
          message: 'No raw SQL through kysely: use its query builder or a .sql file.',
        },
      ],
    },
  },
);
