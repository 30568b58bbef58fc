module.exports = require("./app");
