// Lint: typescript-eslint's strict type-aware rules, plus the folder boundaries of
// ../shared/docs/style.md: pure maths imports nothing from the DOM, the GPU, three or lil-gui;
// only src/render imports three; only src/ui imports lil-gui.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});
const THREE = ['three', 'three/*'];
const GUI = ['lil-gui'];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-bench/**',
      'node_modules/**',
      'coverage/**',
      'public/**',
      '.device/**',
      '.gl/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/unified-signatures': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/render/**', 'src/ui/**', 'src/maths/**'],
    rules: restrict(
      [...THREE, ...GUI],
      'Only src/render/ imports three; only src/ui/ imports lil-gui.',
    ),
  },
  {
    files: ['src/render/**/*.ts'],
    rules: {
      ...restrict(GUI, 'Only src/ui/ imports lil-gui.'),
      // three's TSL nodes are proxies whose declared classes they are not built by.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
    },
  },
  {
    files: ['src/ui/**/*.ts'],
    rules: {
      ...restrict(THREE, 'Only src/render/ imports three.'),
      // uPlot's options are const enums, which isolatedModules code cannot name: plain numbers.
      '@typescript-eslint/no-unsafe-enum-assignment': 'off',
    },
  },
  {
    files: ['src/maths/**/*.ts'],
    rules: {
      ...restrict(
        [
          ...THREE,
          ...GUI,
          '**/gpu/*',
          '**/sim/*',
          '**/render/*',
          '**/ui/*',
          '**/app*',
          '**/main*',
          '**/settings*',
        ],
        'src/maths/ is pure: no GPU, DOM, three or lil-gui.',
      ),
      'no-restricted-globals': ['error', 'window', 'document', 'navigator'],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/gpu/device.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'navigator',
          property: 'gpu',
          message: 'Only src/gpu/device.ts touches navigator.gpu.',
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
