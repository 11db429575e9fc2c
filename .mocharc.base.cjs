// Shared mocha settings: TypeScript through tsx, and no `.only` in CI.
module.exports = {
  'node-option': ['import=tsx'],
  timeout: 60000,
  forbidOnly: Boolean(process.env.CI),
  // Tests start real servers, pools and processes; a handle one of them leaves open must not
  // keep the run alive after the last test (each suite still tears down what it started).
  exit: true,
};
