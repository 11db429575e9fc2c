// Cross-package integration tests under tests/.
module.exports = { ...require('./.mocharc.base.cjs'), timeout: 120000 };
