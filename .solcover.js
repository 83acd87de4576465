module.exports = {
  skipFiles: ["test/"],
  mocha: { timeout: 300000 },
};
