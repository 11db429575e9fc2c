// Shared mocha settings: TypeScript through tsx, and no `.only` in CI.
module.exports = {
  'node-option': ['import=tsx'],
  timeout: 60000,
  forbidOnly: Boolean(process.env.CI),
};
