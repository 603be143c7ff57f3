// typescript-eslint over the sources, tests and benchmarks.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layers from './lint/layers.js';

// SQL is parameterised and lives in .sql files.
const noBuiltSql = [
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
];

const SQL_START = '^\\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP|TRUNCATE|COPY|GRANT|REVOKE|FETCH|CLOSE|DECLARE)\\s';
const noInlineSql = [
  { selector: `Literal[value=/${SQL_START}/]`, message: 'SQL lives in sql/*.sql: read it with sqlQuery (src/db/sql-file.ts).' },
  { selector: `TemplateLiteral > TemplateElement:first-child[value.raw=/${SQL_START}/]`, message: 'SQL lives in sql/*.sql: read it with sqlQuery (src/db/sql-file.ts).' },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'public/', 'storage/', 'scratch/', 'test-results/'] },
  js.configs.recommended,
  {
    // The public page runs in browsers.
    files: ['src/export/site/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', location: 'readonly', uPlot: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly', Intl: 'readonly' } },
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
      'no-restricted-syntax': ['error', ...noBuiltSql],
    },
  },
  {
    // Statements live in sql/; only src/db keeps its connection-level ones (locks, server setup).
    // Transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT) is not a query and stays beside its code.
    files: ['src/**/*.ts'],
    ignores: ['src/db/**'],
    rules: { 'no-restricted-syntax': ['error', ...noBuiltSql, ...noInlineSql] },
  },
);
