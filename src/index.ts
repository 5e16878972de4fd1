export { Warren, DEFAULTS, type WarrenOptions } from './warren.js';
export { Broker } from './core/broker.js';
export { VERSION } from './version.js';
export { exportDefinitions } from './definitions/export.js';
export { importDefinitions, type ImportResult } from './definitions/import.js';
export { DefinitionsError } from './definitions/error.js';
export { loadConfigFile, parseConfig } from './config/load.js';
export { ConfigError } from './config/error.js';
export { AmqpError } from './protocol/errors.js';
export { BrokerApi } from './embed/broker-api.js';
export type {
  BindingInfo,
  BindOptions,
  ConnectionSummary,
  DeclareExchangeOptions,
  DeclareQueueOptions,
  DeleteExchangeOptions,
  DeleteQueueOptions,
  ExchangeInfo,
  InVhost,
  PolicyOptions,
  PublishOptions,
  QueueCounts,
  QueueInfo,
  WaitForOptions,
} from './embed/types.js';
export {
  BROKER_EVENTS,
  DIAGNOSTICS_PREFIX,
  type BrokerEventMap,
  type BrokerEventName,
  type DiagnosticsMessage,
  type AlarmEvent,
  type BindingEvent,
  type ConnectionEvent,
  type ConsumerEvent,
  type EntityEvent,
  type ExchangeDeclaredEvent,
  type PolicyEvent,
  type QueueDeclaredEvent,
  type UserEvent,
  type VhostEvent,
} from './core/events.js';
export type { Policy } from './core/policy.js';
