/**
 * JS shapes of AMQP field-table values. Decoding keeps enough type information that re-encoding a
 * decoded table gives the same wire types for everything RabbitMQ and its clients send, except that
 * 'f' (float) widens to 'd' and the small integer types widen on re-encode unless wrapped.
 */
export interface Decimal {
  readonly $decimal: true;
  readonly scale: number;
  readonly value: number;
}

/** A value with an explicit wire type, for callers that must control the encoding (e.g. x-death counts). */
export interface Typed {
  readonly $type: 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'l' | 'f' | 'd' | 'T';
  readonly value: number | bigint;
}

export type FieldValue =
  | boolean
  | number
  | bigint
  | string
  | Buffer
  | Date
  | null
  | undefined
  | Decimal
  | Typed
  | FieldValue[]
  | FieldTable;

export interface FieldTable {
  [key: string]: FieldValue;
}

export function isDecimal(v: unknown): v is Decimal {
  return typeof v === 'object' && v !== null && (v as { $decimal?: unknown }).$decimal === true;
}

export function isTyped(v: unknown): v is Typed {
  return typeof v === 'object' && v !== null && typeof (v as { $type?: unknown }).$type === 'string';
}
