export { Warren, DEFAULTS, type WarrenOptions } from './warren.js';
export { Broker } from './core/broker.js';
export { VERSION } from './version.js';
export { exportDefinitions } from './definitions/export.js';
export { importDefinitions, type ImportResult } from './definitions/import.js';
export { DefinitionsError } from './definitions/error.js';
export { loadConfigFile, parseConfig } from './config/load.js';
export { ConfigError } from './config/error.js';
