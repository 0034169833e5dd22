"use strict";
// Loads an npm package of the interop suite, or fails saying how to install it.

const path = require("node:path");

function requireDependency(name) {
  try {
    return require(name);
  } catch (error) {
    if (error && error.code === "MODULE_NOT_FOUND") {
      throw new Error(
        `interop dependency '${name}' is not installed: run \`npm ci\` in ` +
          `${path.resolve(__dirname, "..")} (node_modules is missing or incomplete)`,
      );
    }
    throw error;
  }
}

module.exports = { requireDependency };
